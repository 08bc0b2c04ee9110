// Region, credential and client set-up shared by the EKS commands and the out-of-cluster
// operator. Every AWS call goes through clients built here, so the SDK's own handling of
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EKS and AWS_ENDPOINT_URL_STS applies to all of them.
import { EKSClient } from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';

/** AWS credentials as the SDK's credential providers return them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type CredentialsProvider = () => Promise<AwsCredentials>;

/** Clock for token signing and expiry checks. Tests pass a fixed one. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** Failure to load AWS credentials, with a message that already names the fix. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

// Commercial, China, GovCloud and ISO region names: two letters, one or more words, a number.
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/;

// Assumed-role credentials are renewed this long before they expire, which is the margin
// the SDK's default chain uses for its own temporary credentials.
const CREDENTIALS_REFRESH_MARGIN_MS = 5 * 60_000;
const ASSUMED_ROLE_SESSION_NAME = 'flywheel';

/**
 * Resolves the region from the --region value, or else as the SDK does (AWS_REGION, then
 * the `region` of the active profile in the shared config file).
 */
export async function resolveRegion(explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) {
    return validateRegion(explicit);
  }

  let region: string;
  try {
    region = await new EKSClient({}).config.region();
  } catch (err) {
    throw new Error(
      'AWS region is missing: pass --region (for example --region us-east-1), set AWS_REGION, ' +
        'or set `region` in the active profile of ~/.aws/config',
      { cause: err },
    );
  }
  return validateRegion(region);
}

export function validateRegion(region: string): string {
  if (!REGION_PATTERN.test(region)) {
    throw new Error(`invalid AWS region "${region}": expected a region name such as us-east-1 or eu-central-1`);
  }
  return region;
}

export function validateRoleArn(roleArn: string): string {
  if (!ROLE_ARN_PATTERN.test(roleArn)) {
    throw new Error(
      `invalid role ARN "${roleArn}": expected arn:aws:iam::ACCOUNT-ID:role/NAME, for example arn:aws:iam::111122223333:role/flywheel`,
    );
  }
  return roleArn;
}

/** Options shared by everything that calls AWS for one cluster. */
export interface AwsAccessOptions {
  region: string;
  /** IAM role to assume with the default credentials before any other call. */
  roleArn?: string;
  clock?: Clock;
}

/**
 * Creates the credentials provider: the SDK default chain, or, with a role ARN, credentials
 * from STS AssumeRole signed by the default chain. Failures are reported with the fix.
 */
export function createCredentialsProvider(options: AwsAccessOptions): CredentialsProvider {
  const baseChain = fromNodeProviderChain({ clientConfig: { region: options.region } });
  const base: CredentialsProvider = async () => {
    try {
      return await baseChain();
    } catch (err) {
      throw describeCredentialsFailure(err);
    }
  };

  if (options.roleArn === undefined) {
    return base;
  }
  return createAssumedRoleProvider(validateRoleArn(options.roleArn), options.region, base, options.clock ?? systemClock);
}

function describeCredentialsFailure(err: unknown): Error {
  const name = err instanceof Error ? err.name : '';
  const detail = err instanceof Error ? err.message : String(err);
  if (name !== 'CredentialsProviderError') {
    return new CredentialsError(`loading AWS credentials failed: ${detail}`, { cause: err });
  }

  // The chain reports only its last link's failure, so a wrong profile name would
  // otherwise look like no configuration at all.
  const profile = process.env.AWS_PROFILE;
  if (profile) {
    return new CredentialsError(
      `no AWS credentials found for profile "${profile}" from AWS_PROFILE (${detail}): check that the profile exists ` +
        'in ~/.aws/config or AWS_CONFIG_FILE (run `aws sso login` first for SSO profiles), or unset AWS_PROFILE',
      { cause: err },
    );
  }
  return new CredentialsError(
    `no AWS credentials found (${detail}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ` +
      'set AWS_PROFILE to a profile in ~/.aws/config (run `aws sso login` first for SSO profiles), ' +
      'or run where an IAM role is attached (EKS Pod Identity, IRSA, or an instance profile)',
    { cause: err },
  );
}

function createAssumedRoleProvider(
  roleArn: string,
  region: string,
  base: CredentialsProvider,
  clock: Clock,
): CredentialsProvider {
  const sts = new STSClient({ region, credentials: base });
  let cached: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;

  const assume = async (): Promise<AwsCredentials> => {
    let output;
    try {
      output = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: ASSUMED_ROLE_SESSION_NAME }));
    } catch (err) {
      throw describeAwsFailure(err, `assuming role ${roleArn}`, 'check that the role exists and that its trust policy allows your identity to assume it');
    }

    const issued = output.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.SessionToken) {
      throw new Error(`assuming role ${roleArn} returned no credentials; retry, and if it persists check the STS endpoint`);
    }
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      expiration: issued.Expiration,
    };
  };

  return async () => {
    const now = clock().getTime();
    if (cached && (cached.expiration === undefined || cached.expiration.getTime() - now > CREDENTIALS_REFRESH_MARGIN_MS)) {
      return cached;
    }
    pending ??= assume().finally(() => {
      pending = undefined;
    });
    cached = await pending;
    return cached;
  };
}

export function createEksClient(options: AwsAccessOptions, credentials: CredentialsProvider): EKSClient {
  return new EKSClient({ region: options.region, credentials });
}

export function createStsClient(options: AwsAccessOptions, credentials: CredentialsProvider): STSClient {
  return new STSClient({ region: options.region, credentials });
}

/**
 * Wraps a failed AWS call in an error that names the action and the next step. Errors
 * that already carry a fix (the credentials messages above) pass through unchanged.
 */
export function describeAwsFailure(err: unknown, action: string, nextStep: string): Error {
  if (err instanceof CredentialsError) {
    return err;
  }
  const name = err instanceof Error ? err.name : 'Error';
  const detail = err instanceof Error ? err.message : String(err);
  return new Error(`${action} failed (${name}: ${detail}); ${nextStep}`, { cause: err });
}
