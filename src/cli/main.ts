import { Command } from 'commander';
import { registerAgendaCommands } from './agenda.command.ts';
import { registerDbCommands } from './db.command.ts';
import { registerDemoCommands } from './demo.command.ts';
import { registerEmailCommands } from './email.command.ts';
import { registerImportCommands } from './import.command.ts';
import { registerMatchCommands } from './match.command.ts';
import { registerPlanCommands } from './plan.command.ts';
import { registerSeedCommands } from './seed.command.ts';
import { registerServeCommands } from './serve.command.ts';
import { registerStartCommands } from './start.command.ts';
import { registerTokenCommands } from './token.command.ts';
import { registerWorkerCommands } from './worker.command.ts';

/*
 * The `hub` command. Each feature registers its subcommands from its own `*.command.ts` file;
 * keep this file a list of registrations.
 */
const program = new Command('hub')
  .description('Early Help allocations hub: sittings, agendas, proforma chasing and lead-agency proposals')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })
  .exitOverride((error) => {
    // commander's own usage errors (unknown option, missing argument) are bad input: exit 2.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

registerAgendaCommands(program);
registerDbCommands(program);
registerDemoCommands(program);
registerEmailCommands(program);
registerImportCommands(program);
registerMatchCommands(program);
registerPlanCommands(program);
registerSeedCommands(program);
registerStartCommands(program);
registerServeCommands(program);
registerTokenCommands(program);
registerWorkerCommands(program);

await program.parseAsync(process.argv);
