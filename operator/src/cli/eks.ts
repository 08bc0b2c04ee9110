// `flywheel eks ...`: connect kubectl and the operator to EKS clusters and print the IAM
// policies that Flywheel workloads need there.
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';

import {
  createCredentialsProvider,
  createEksClient,
  createStsClient,
  describeAwsFailure,
  resolveRegion,
  validateRegion,
  validateRoleArn,
  type AwsAccessOptions,
} from '../eks/aws.ts';
import { assertClusterConnectable, describeEksCluster, validateClusterName } from '../eks/cluster.ts';
import {
  buildIrsaTrustPolicy,
  buildLogsPolicy,
  defaultLogGroupName,
  logGroupArn,
  oidcProviderArn,
  partitionOf,
  validateLogGroupName,
  validateNamespace,
  validateServiceAccountName,
} from '../eks/iam-policies.ts';
import { buildKubeconfigEntry, defaultKubeconfigPath, writeKubeconfigEntry } from '../eks/kubeconfig-file.ts';
import { createEksToken, formatExecCredential, resolveStsEndpoint } from '../eks/token.ts';

export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const EKS_HELP = `Usage: flywheel eks COMMAND [OPTIONS]

Connect to Amazon EKS clusters. AWS credentials come from the SDK default chain
(environment, AWS_PROFILE and ~/.aws, SSO, IRSA or Pod Identity, instance role).

Commands:
  kubeconfig   Add or update a cluster's entry in a kubeconfig file
  token        Print an ExecCredential with a bearer token for a cluster
  irsa         Print the IAM trust and CloudWatch Logs policies for a service account

Run 'flywheel eks COMMAND --help' for a command's options.
`;

const COMMON_OPTIONS_HELP = `  --region REGION      AWS region of the cluster (default: AWS_REGION, then the
                       region of the active profile in ~/.aws/config)
  --role-arn ARN       IAM role to assume with the default credentials before
                       calling EKS and signing tokens
  -h, --help           Show this help`;

const KUBECONFIG_HELP = `Usage: flywheel eks kubeconfig --cluster NAME [OPTIONS]

Write the cluster, a user and a context for an EKS cluster into a kubeconfig file
and make the context current. Entries with other names are kept; entries with the
same names are replaced. The user runs 'flywheel eks token' to get credentials,
so 'flywheel' must be on kubectl's PATH.

Options:
  --cluster NAME       EKS cluster name (required)
  --kubeconfig PATH    File to write (default: the first path in KUBECONFIG,
                       else ~/.kube/config)
  --alias NAME         Context name (default: the cluster ARN)
${COMMON_OPTIONS_HELP}
`;

const TOKEN_HELP = `Usage: flywheel eks token --cluster NAME [OPTIONS]

Print a client.authentication.k8s.io/v1 ExecCredential whose token authenticates
to the cluster's API server for 15 minutes. kubectl runs this command through the
exec entry that 'flywheel eks kubeconfig' writes.

Options:
  --cluster NAME       EKS cluster name the token is bound to (required)
${COMMON_OPTIONS_HELP}
`;

const IRSA_HELP = `Usage: flywheel eks irsa --cluster NAME --namespace NS --service-account SA [OPTIONS]

Print, as one JSON object, the trust policy of an IAM role for pods running as the
service account (IRSA), and a permissions policy for writing one CloudWatch Logs
log group. The account is the one of the current credentials. The cluster's OIDC
issuer must be registered as an IAM OIDC identity provider in that account.

Options:
  --cluster NAME          EKS cluster name (required)
  --namespace NS          Namespace of the service account (required)
  --service-account SA    Service account name (required)
  --log-group NAME        Log group the pods write to
                          (default: /flywheel/NAMESPACE/SERVICE-ACCOUNT)
${COMMON_OPTIONS_HELP}
`;

const COMMON_OPTIONS = {
  cluster: { type: 'string' },
  region: { type: 'string' },
  'role-arn': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** A wrong command line: reported with the command's help hint and exit code 2. */
class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Runs `flywheel eks ARGV...` and returns the exit code: 0 on success, 1 when an AWS call
 * or a file write fails, 2 for a wrong command line.
 */
export async function runEksCommand(argv: string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr(EKS_HELP);
    return EXIT_USAGE;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout(EKS_HELP);
    return EXIT_OK;
  }

  const run = COMMANDS[command];
  if (run === undefined) {
    io.stderr(`flywheel eks: unknown command "${command}"; run 'flywheel eks --help' for the list\n`);
    return EXIT_USAGE;
  }

  try {
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`flywheel eks ${command}: ${err.message}; run 'flywheel eks ${command} --help' for usage\n`);
      return EXIT_USAGE;
    }
    io.stderr(`flywheel eks ${command}: ${formatError(err)}\n`);
    return EXIT_FAILURE;
  }
}

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, Command | undefined> = {
  kubeconfig: runKubeconfig,
  token: runToken,
  irsa: runIrsa,
};

async function runKubeconfig(argv: string[], io: CommandIo): Promise<number> {
  const values = parse(argv, {
    ...COMMON_OPTIONS,
    kubeconfig: { type: 'string' },
    alias: { type: 'string' },
  });
  if (values.help) {
    io.stdout(KUBECONFIG_HELP);
    return EXIT_OK;
  }
  const cluster = requireClusterName(values.cluster);
  const roleArn = optionalRoleArn(values['role-arn']);
  const alias = optionalNonEmpty(values.alias, '--alias');
  const filePath = optionalNonEmpty(values.kubeconfig, '--kubeconfig') ?? defaultKubeconfigPath();

  const access = await resolveAccess(values.region, roleArn);
  const credentials = createCredentialsProvider(access);
  const info = await describeEksCluster(createEksClient(access, credentials), cluster, access.region);
  assertClusterConnectable(info);

  const entry = buildKubeconfigEntry(info, { alias, roleArn });
  const result = await writeKubeconfigEntry(filePath, entry);
  const verb = result.created ? 'Created' : 'Updated';
  io.stdout(`${verb} ${result.path}: context "${entry.contextName}" for EKS cluster ${info.arn} (Kubernetes ${info.version}) is now current\n`);
  return EXIT_OK;
}

async function runToken(argv: string[], io: CommandIo): Promise<number> {
  const values = parse(argv, COMMON_OPTIONS);
  if (values.help) {
    io.stdout(TOKEN_HELP);
    return EXIT_OK;
  }
  const cluster = requireClusterName(values.cluster);
  const roleArn = optionalRoleArn(values['role-arn']);

  const access = await resolveAccess(values.region, roleArn);
  const credentials = createCredentialsProvider(access);
  const endpoint = await resolveStsEndpoint(createStsClient(access, credentials));
  const token = await createEksToken({ cluster, region: access.region, credentials, endpoint, signingDate: new Date() });
  io.stdout(formatExecCredential(token) + '\n');
  return EXIT_OK;
}

async function runIrsa(argv: string[], io: CommandIo): Promise<number> {
  const values = parse(argv, {
    ...COMMON_OPTIONS,
    namespace: { type: 'string' },
    'service-account': { type: 'string' },
    'log-group': { type: 'string' },
  });
  if (values.help) {
    io.stdout(IRSA_HELP);
    return EXIT_OK;
  }
  const cluster = requireClusterName(values.cluster);
  const namespace = validateOption(requireOption(values.namespace, '--namespace'), validateNamespace);
  const serviceAccount = validateOption(requireOption(values['service-account'], '--service-account'), validateServiceAccountName);
  const logGroup = validateOption(
    optionalNonEmpty(values['log-group'], '--log-group') ?? defaultLogGroupName(namespace, serviceAccount),
    validateLogGroupName,
  );
  const roleArn = optionalRoleArn(values['role-arn']);

  const access = await resolveAccess(values.region, roleArn);
  const credentials = createCredentialsProvider(access);
  const info = await describeEksCluster(createEksClient(access, credentials), cluster, access.region);
  if (info.oidcIssuer === undefined) {
    throw new Error(`EKS cluster "${cluster}" in ${access.region} reports no OIDC issuer, so IRSA cannot be used with it; use EKS Pod Identity instead`);
  }

  let accountId: string | undefined;
  try {
    accountId = (await createStsClient(access, credentials).send(new GetCallerIdentityCommand({}))).Account;
  } catch (err) {
    throw describeAwsFailure(err, 'STS GetCallerIdentity', 'check your AWS credentials');
  }
  if (!accountId) {
    throw new Error('STS GetCallerIdentity returned no account ID; retry, and if it persists check the STS endpoint');
  }

  const input = {
    partition: partitionOf(info.arn),
    accountId,
    region: access.region,
    oidcIssuer: info.oidcIssuer,
    namespace,
    serviceAccount,
    logGroup,
  };
  const output = {
    oidcProviderArn: oidcProviderArn(input),
    serviceAccount: `${namespace}/${serviceAccount}`,
    logGroupArn: logGroupArn(input),
    trustPolicy: buildIrsaTrustPolicy(input),
    permissionsPolicy: buildLogsPolicy(input),
  };
  io.stdout(JSON.stringify(output, null, 2) + '\n');
  return EXIT_OK;
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

async function resolveAccess(region: string | undefined, roleArn: string | undefined): Promise<AwsAccessOptions> {
  const explicit = optionalNonEmpty(region, '--region');
  const resolved = await resolveRegion(explicit === undefined ? undefined : validateOption(explicit, validateRegion));
  return { region: resolved, roleArn };
}

function requireOption(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') {
    throw new UsageError(`missing required option ${flag}`);
  }
  return value;
}

function optionalNonEmpty(value: string | undefined, flag: string): string | undefined {
  if (value === '') {
    throw new UsageError(`option ${flag} is empty; give it a value or leave it out`);
  }
  return value;
}

function requireClusterName(value: string | undefined): string {
  return validateOption(requireOption(value, '--cluster'), validateClusterName);
}

function optionalRoleArn(value: string | undefined): string | undefined {
  const roleArn = optionalNonEmpty(value, '--role-arn');
  return roleArn === undefined ? undefined : validateOption(roleArn, validateRoleArn);
}

// Validation failures of option values are usage errors, with exit code 2.
function validateOption(value: string, validate: (value: string) => string): string {
  try {
    return validate(value);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

// Prints the message, then the messages of causes that add something to it.
function formatError(err: unknown): string {
  const lines: string[] = [];
  let current: unknown = err;
  while (current !== undefined && lines.length < 5) {
    const message = current instanceof Error ? current.message : String(current);
    if (!lines.some((line) => line.includes(message))) {
      lines.push(lines.length === 0 ? message : `  caused by: ${message}`);
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n');
}
