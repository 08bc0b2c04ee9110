// Runs `flywheel eks` on its own, for tests that need a separate process and for trying
// the commands by hand before the main CLI exists: node test/eks/run-eks-cli.ts token ...
import { runEksCommand } from '../../operator/src/cli/eks.ts';

const code = await runEksCommand(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
process.exitCode = code;
