import cliProgress from 'cli-progress';

/**
 * Progress for long-running commands, on stderr so stdout stays clean for --json. A live bar on a
 * terminal; plain lines every 25% otherwise (CI logs, pipes). Silent for short jobs.
 */
export function progressReporter(minimum = 200) {
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  let lastQuarter = -1;
  return {
    update(nextPhase: string, done: number, total: number) {
      if (total < minimum) return;
      if (process.stderr.isTTY) {
        if (phase !== nextPhase) {
          bar?.stop();
          bar = new cliProgress.SingleBar(
            {
              format: `${nextPhase.padEnd(9)} [{bar}] {percentage}% | {value}/{total} rows | eta {eta}s`,
              stream: process.stderr,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, done);
          phase = nextPhase;
        } else bar?.update(done);
        return;
      }
      if (phase !== nextPhase) {
        phase = nextPhase;
        lastQuarter = -1;
      }
      const quarter = Math.floor((done / total) * 4);
      if (quarter !== lastQuarter) {
        lastQuarter = quarter;
        process.stderr.write(`${nextPhase}: ${done}/${total} rows\n`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
