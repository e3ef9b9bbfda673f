import { Command } from 'commander';

/*
 * The `hub` command. Each feature registers its subcommands from its own `*.command.ts` file.
 * Only the module of the command being run is loaded (the web app, BullMQ and PGlite take seconds
 * to import), except for help, which loads them all.
 */
type Loader = () => Promise<(program: Command) => void>;

const commands: Record<string, Loader> = {
  agenda: async () => (await import('./agenda.command.ts')).registerAgendaCommands,
  migrate: async () => (await import('./db.command.ts')).registerDbCommands,
  demo: async () => (await import('./demo.command.ts')).registerDemoCommands,
  email: async () => (await import('./email.command.ts')).registerEmailCommands,
  import: async () => (await import('./import.command.ts')).registerImportCommands,
  match: async () => (await import('./match.command.ts')).registerMatchCommands,
  plan: async () => (await import('./plan.command.ts')).registerPlanCommands,
  seed: async () => (await import('./seed.command.ts')).registerSeedCommands,
  start: async () => (await import('./start.command.ts')).registerStartCommands,
  serve: async () => (await import('./serve.command.ts')).registerServeCommands,
  token: async () => (await import('./token.command.ts')).registerTokenCommands,
  worker: async () => (await import('./worker.command.ts')).registerWorkerCommands,
};

const program = new Command('hub')
  .description('Early Help allocations hub: sittings, agendas, proforma chasing and lead-agency proposals')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })
  .exitOverride((error) => {
    // commander's own usage errors (unknown option, missing argument) are bad input: exit 2.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

const name = process.argv[2];
const wanted =
  name !== undefined && Object.hasOwn(commands, name) ? [commands[name] as Loader] : Object.values(commands);
for (const load of wanted) (await load())(program);

await program.parseAsync(process.argv);
