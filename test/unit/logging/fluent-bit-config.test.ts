/**
 * The sidecar's Fluent Bit configuration, checked by the classic-format checker in
 * fluent-bit-classic.ts. No Fluent Bit binary can be installed on the development
 * machines, so that checker replaces `fluent-bit --dry-run` here. These tests show that
 * the generated files follow the documented format and option names, and that the checker
 * rejects the mistakes it claims to catch.
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_DIR, CONFIG_FILE, PARSERS_FILE } from '../../../cdk8s/src/logging/constants.ts';
import { configHash, renderFluentBitConfig, type FluentBitConfigOptions } from '../../../cdk8s/src/logging/fluent-bit-config.ts';
import { fluentBitContainer } from '../../../cdk8s/src/logging/sidecar.ts';
import { checkFluentBitConfig, parseClassic } from './fluent-bit-classic.ts';

const OPTIONS: FluentBitConfigOptions = {
  logGroup: '/flywheel/shop/orders',
  retentionDays: 30,
  parser: 'json',
  region: 'eu-west-1',
  graceSeconds: 10,
};

/** Variables the sidecar container defines, taken from the rendered container itself. */
const SIDECAR_ENVIRONMENT = (
  fluentBitContainer({
    logGroup: OPTIONS.logGroup,
    retentionDays: undefined,
    parser: 'json',
    region: OPTIONS.region,
    image: 'fluent-bit:1',
    resources: {},
    nativeSidecar: true,
  }).env ?? []
).map((variable) => variable.name);

const check = (files: Record<string, string>, environment: readonly string[] = SIDECAR_ENVIRONMENT) =>
  checkFluentBitConfig(files, { main: CONFIG_FILE, directory: CONFIG_DIR, environment });

describe('generated Fluent Bit configuration', () => {
  const variants: Array<[string, Partial<FluentBitConfigOptions>]> = [
    ['defaults with retention', {}],
    ['text parser', { parser: 'text' }],
    ['no retention', { retentionDays: undefined }],
    ['log group with every allowed character', { logGroup: 'A-z_0.9/#x' }],
    ['shortest grace', { graceSeconds: 1 }],
  ];

  it.each(variants)('passes the checker: %s', (_name, change) => {
    expect(check(renderFluentBitConfig({ ...OPTIONS, ...change }))).toEqual([]);
  });

  it('contains the main file and the parsers file', () => {
    expect(Object.keys(renderFluentBitConfig(OPTIONS)).sort()).toEqual([CONFIG_FILE, PARSERS_FILE].sort());
  });

  it('has one section of each kind in the main file', () => {
    const document = parseClassic(CONFIG_FILE, renderFluentBitConfig(OPTIONS));
    expect(document.sections.map((section) => section.name)).toEqual(['SERVICE', 'INPUT', 'FILTER', 'OUTPUT']);
  });

  it('fails the checker without the sidecar environment', () => {
    expect(check(renderFluentBitConfig(OPTIONS), [])).toContainEqual(expect.stringMatching(/variable FLYWHEEL_POD_NAME .* is not set/));
  });
});

describe('configuration hash', () => {
  it('is a SHA-256 hex digest', () => {
    expect(configHash(renderFluentBitConfig(OPTIONS))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order', () => {
    expect(configHash({ a: '1', b: '2' })).toBe(configHash({ b: '2', a: '1' }));
  });

  it('changes with the retention', () => {
    expect(configHash(renderFluentBitConfig({ ...OPTIONS, retentionDays: 90 }))).not.toBe(configHash(renderFluentBitConfig(OPTIONS)));
  });

  it('tells file names from contents', () => {
    expect(configHash({ ab: 'c' })).not.toBe(configHash({ a: 'bc' }));
  });
});

const VALID_MAIN = `[SERVICE]
    Flush        1
    Parsers_File ${CONFIG_DIR}/${PARSERS_FILE}

[INPUT]
    Name   tail
    Tag    app
    Path   /var/log/flywheel/*.log
    Parser flywheel_json

[OUTPUT]
    Name              cloudwatch_logs
    Match             app
    region            us-east-1
    log_group_name    /flywheel/shop/orders
    log_stream_prefix pod/
`;

const VALID_PARSERS = `[PARSER]
    Name   flywheel_json
    Format json
`;

const withMain = (main: string, parsers = VALID_PARSERS) => ({ [CONFIG_FILE]: main, [PARSERS_FILE]: parsers });

describe('Fluent Bit configuration checker', () => {
  it('accepts a minimal valid configuration', () => {
    expect(check(withMain(VALID_MAIN))).toEqual([]);
  });

  it('accepts indented comments, blank lines, @SET and @INCLUDE', () => {
    const main = `@SET GROUP=/flywheel/shop/orders
@INCLUDE service.conf

[INPUT]
    # the app's files
    Name tail

    Tag  app
    Path /var/log/*.log

[OUTPUT]
    Name              cloudwatch_logs
    Match             *
    region            us-east-1
    log_group_name    \${GROUP}
    log_stream_name   stream
`;
    const files = { ...withMain(main), 'service.conf': '[SERVICE]\n  Flush 5\n' };
    expect(check(files)).toEqual([]);
  });

  const rejected: Array<[string, string, RegExp, string?]> = [
    ['unknown SERVICE key', VALID_MAIN.replace('Flush        1', 'Flushh       1'), /unknown key "Flushh" in \[SERVICE\]/],
    ['unknown tail key', VALID_MAIN.replace('Tag    app', 'Tag    app\n    Rotate  5'), /unknown key "Rotate" in \[INPUT\] of plugin tail/],
    [
      'cloudwatch_logs key newer than the image',
      VALID_MAIN.replace('log_stream_prefix pod/', 'log_stream_prefix pod/\n    log_group_class   STANDARD'),
      /unknown key "log_group_class" in \[OUTPUT\] of plugin cloudwatch_logs/,
    ],
    ['missing OUTPUT section', VALID_MAIN.slice(0, VALID_MAIN.indexOf('[OUTPUT]')), /section \[OUTPUT\] is missing/],
    ['missing INPUT section', VALID_MAIN.replace(/\[INPUT\][^[]*/, ''), /section \[INPUT\] is missing/],
    ['mixed indentation', VALID_MAIN.replace('    Tag    app', '  Tag    app'), /indentation "  " differs from "    "/],
    ['tab after spaces', VALID_MAIN.replace('    Tag    app', '\tTag    app'), /indentation "\\t" differs/],
    ['unindented entry', VALID_MAIN.replace('    Tag    app', 'Tag    app'), /"Tag    app" must be indented/],
    ['key without value', VALID_MAIN.replace('    Tag    app', '    Tag'), /key "Tag" has no value/],
    ['empty section', `[FILTER]\n\n${VALID_MAIN}`, /section \[FILTER\] is empty/],
    ['unknown section', VALID_MAIN.replace('[SERVICE]', '[SERVER]'), /section \[SERVER\] is not allowed here/],
    ['broken section header', VALID_MAIN.replace('[SERVICE]', '[SERVICE'), /"\[SERVICE" is not a section header/],
    ['comment at column 0 inside a section', VALID_MAIN.replace('    Tag    app', '# tag\n    Tag    app'), /comment inside section \[INPUT\] must be indented/],
    ['entry before any section', `    Flush 1\n${VALID_MAIN}`, /entry "Flush 1" is outside any section/],
    ['unknown command', `@IMPORT x.conf\n${VALID_MAIN}`, /"@IMPORT x.conf" is not a command/],
    ['missing include', `@INCLUDE missing.conf\n${VALID_MAIN}`, /missing.conf: file not found/],
    ['invalid boolean', VALID_MAIN.replace('log_stream_prefix pod/', 'log_stream_prefix pod/\n    auto_create_group maybe'), /value "maybe" of auto_create_group is invalid/],
    [
      'retention CloudWatch rejects',
      VALID_MAIN.replace('log_stream_prefix pod/', 'log_stream_prefix pod/\n    log_retention_days 2'),
      /value "2" of log_retention_days is invalid/,
    ],
    ['invalid unit size', VALID_MAIN.replace('Tag    app', 'Tag    app\n    Mem_Buf_Limit lots'), /value "lots" of Mem_Buf_Limit is invalid/],
    ['invalid retry limit', VALID_MAIN.replace('log_stream_prefix pod/', 'log_stream_prefix pod/\n    Retry_Limit 0'), /value "0" of Retry_Limit is invalid/],
    ['duplicate single key', VALID_MAIN.replace('Tag    app', 'Tag    app\n    Tag    other'), /key "Tag" appears more than once/],
    ['plugin without allow-list', VALID_MAIN.replace('Name   tail', 'Name   dummy'), /plugin "dummy" has no allow-list/],
    ['input without Tag', VALID_MAIN.replace('    Tag    app\n', ''), /\[INPUT\] has no Tag/],
    ['output without Match', VALID_MAIN.replace('    Match             app\n', ''), /has neither Match nor Match_Regex/],
    ['cloudwatch_logs without region', VALID_MAIN.replace('    region            us-east-1\n', ''), /cloudwatch_logs needs region/],
    [
      'both stream name and prefix',
      VALID_MAIN.replace('log_stream_prefix pod/', 'log_stream_prefix pod/\n    log_stream_name   s'),
      /log_stream_name or log_stream_prefix, not both/,
    ],
    ['undefined parser', VALID_MAIN.replace('Parser flywheel_json', 'Parser nginx'), /uses parser "nginx", which no Parsers_File defines/],
    ['undefined variable', VALID_MAIN.replace('log_stream_prefix pod/', 'log_stream_prefix ${HOSTNAME}/'), /variable HOSTNAME .* is not set/],
    ['unclosed variable', VALID_MAIN.replace('log_stream_prefix pod/', 'log_stream_prefix ${HOSTNAME/'), /has no closing brace/],
    ['missing parsers file', VALID_MAIN.replace(`${CONFIG_DIR}/${PARSERS_FILE}`, `${CONFIG_DIR}/other.conf`), /other.conf: file not found/],
    ['unknown PARSER key', VALID_MAIN, /unknown key "Time_Zone" in \[PARSER\]/, `${VALID_PARSERS}    Time_Zone UTC\n`],
    ['PARSER without Format', VALID_MAIN, /\[PARSER\] has no format/, '[PARSER]\n    Name flywheel_json\n'],
    ['INPUT in the parsers file', VALID_MAIN, /section \[INPUT\] is not allowed in a parsers file/, `${VALID_PARSERS}\n[INPUT]\n    Name tail\n`],
  ];

  it.each(rejected)('rejects %s', (_name, main, problem, parsers) => {
    expect(check(withMain(main, parsers))).toContainEqual(expect.stringMatching(problem));
  });

  it('rejects an include cycle', () => {
    const files = { ...withMain(`@INCLUDE a.conf\n${VALID_MAIN}`), 'a.conf': `@INCLUDE ${CONFIG_FILE}\n` };
    expect(check(files)).toContainEqual(expect.stringMatching(/included again from itself/));
  });

  it('reports the file and line of a problem', () => {
    const problems = check(withMain(VALID_MAIN.replace('Flush        1', 'Flushh       1')));
    expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${CONFIG_FILE}:2: `)));
  });
});
