/**
 * A checker for Fluent Bit's classic configuration format. No Fluent Bit binary can be
 * installed on the development machines, so the tests use this checker in place of
 * `fluent-bit --dry-run`. It follows the format as the Fluent Bit manual describes it
 * ("Format and Schema", "Configuration File", "Variables"):
 *
 * - a section is a name in brackets at the start of a line and must not be empty;
 * - its entries are `Key value` lines, all indented by the same whitespace within a file;
 *   comments inside a section are indented too; blank lines may appear anywhere;
 * - `@INCLUDE file` and `@SET NAME=value` stand at the start of a line, outside sections;
 * - `${NAME}` in a value is replaced by an environment variable or an @SET variable.
 *
 * Keys are checked against allow-lists of the options that the Fluent Bit 1.9 manual
 * documents for each section and for each plugin used here, which is stricter than Fluent
 * Bit itself only where it ignores a misspelt key. Keys are case-insensitive, as in
 * Fluent Bit. Values are checked for their documented type where one is documented.
 */

export interface ClassicEntry {
  key: string;
  value: string;
  line: number;
}

export interface ClassicSection {
  name: string;
  file: string;
  line: number;
  entries: ClassicEntry[];
}

export interface ClassicDocument {
  sections: ClassicSection[];
  /** Variables from @SET, in file order. */
  variables: Map<string, string>;
  problems: string[];
}

type ValueType =
  | { type: 'string' }
  | { type: 'bool' }
  | { type: 'int'; min?: number }
  | { type: 'number' }
  | { type: 'size' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'retry' };

interface KeySpec {
  value: ValueType;
  /** The key may appear more than once in a section, such as `Record`. */
  repeatable?: boolean;
}

const str = (repeatable = false): KeySpec => ({ value: { type: 'string' }, repeatable });
const bool: KeySpec = { value: { type: 'bool' } };
const int = (min = 0): KeySpec => ({ value: { type: 'int', min } });
const size: KeySpec = { value: { type: 'size' } };
const oneOf = (...values: string[]): KeySpec => ({ value: { type: 'enum', values } });

const LOG_LEVELS = ['off', 'error', 'warn', 'info', 'debug', 'trace'];

/** [SERVICE]: Configuration File, Buffering and Storage, Scheduling and Retries, Monitoring. */
const SERVICE_KEYS: Record<string, KeySpec> = {
  flush: { value: { type: 'number' } },
  grace: int(0),
  daemon: bool,
  'dns.mode': oneOf('udp', 'tcp'),
  'dns.resolver': oneOf('legacy', 'ares'),
  log_file: str(),
  log_level: oneOf(...LOG_LEVELS),
  parsers_file: str(true),
  plugins_file: str(),
  streams_file: str(),
  http_server: bool,
  http_listen: str(),
  http_port: int(1),
  coro_stack_size: int(1),
  'scheduler.cap': int(1),
  'scheduler.base': int(1),
  health_check: bool,
  hc_errors_count: int(0),
  hc_retry_failure_count: int(0),
  hc_period: int(1),
  'storage.path': str(),
  'storage.sync': oneOf('normal', 'full'),
  'storage.checksum': bool,
  'storage.max_chunks_up': int(1),
  'storage.backlog.mem_limit': size,
  'storage.metrics': bool,
};

/** Keys every [INPUT] accepts. */
const INPUT_KEYS: Record<string, KeySpec> = {
  name: str(),
  tag: str(),
  alias: str(),
  log_level: oneOf(...LOG_LEVELS),
  mem_buf_limit: size,
  'storage.type': oneOf('memory', 'filesystem'),
};

/** Keys of the tail input (Fluent Bit 1.9 manual, Inputs > Tail). */
const TAIL_KEYS: Record<string, KeySpec> = {
  buffer_chunk_size: size,
  buffer_max_size: size,
  path: str(),
  path_key: str(),
  exclude_path: str(),
  offset_key: str(),
  read_from_head: bool,
  refresh_interval: { value: { type: 'number' } },
  rotate_wait: int(0),
  ignore_older: str(),
  skip_long_lines: bool,
  skip_empty_lines: bool,
  db: str(),
  'db.sync': oneOf('extra', 'full', 'normal', 'off'),
  'db.locking': bool,
  'db.journal_mode': oneOf('delete', 'truncate', 'persist', 'memory', 'wal', 'off'),
  exit_on_eof: bool,
  parser: str(),
  key: str(),
  inotify_watcher: bool,
  tag_regex: str(),
  'multiline.parser': str(true),
  multiline: bool,
  multiline_flush: int(1),
  parser_firstline: str(),
  docker_mode: bool,
  docker_mode_flush: int(1),
  docker_mode_parser: str(),
};

/** Keys every [FILTER] and [OUTPUT] accepts. */
const ROUTED_KEYS: Record<string, KeySpec> = {
  name: str(),
  match: str(),
  match_regex: str(),
  alias: str(),
  log_level: oneOf(...LOG_LEVELS),
};

/** Keys of the record_modifier filter (Filters > Record Modifier). */
const RECORD_MODIFIER_KEYS: Record<string, KeySpec> = {
  record: str(true),
  remove_key: str(true),
  allowlist_key: str(true),
  whitelist_key: str(true),
  uuid_key: str(),
};

/** Keys every [OUTPUT] accepts besides the routing keys. */
const OUTPUT_KEYS: Record<string, KeySpec> = {
  retry_limit: { value: { type: 'retry' } },
  workers: int(0),
  'storage.total_limit_size': size,
};

/**
 * Keys of the cloudwatch_logs output (Outputs > Amazon CloudWatch) as aws-for-fluent-bit
 * 2.32.3 ships it: `profile` came with 2.32.0 and `add_entity` with 2.32.3, per its changelog.
 */
const CLOUDWATCH_LOGS_KEYS: Record<string, KeySpec> = {
  region: str(),
  log_group_name: str(),
  log_group_template: str(),
  log_stream_name: str(),
  log_stream_prefix: str(),
  log_stream_template: str(),
  log_key: str(),
  log_format: str(),
  role_arn: str(),
  auto_create_group: bool,
  auto_retry_requests: bool,
  log_retention_days: oneOf('1', '3', '5', '7', '14', '30', '60', '90', '120', '150', '180', '365', '400', '545', '731', '1096', '1827', '2192', '2557', '2922', '3288', '3653'),
  endpoint: str(),
  sts_endpoint: str(),
  external_id: str(),
  metric_namespace: str(),
  metric_dimensions: str(),
  extra_user_agent: str(),
  profile: str(),
  add_entity: bool,
};

/** Keys of a [PARSER] section (Parsers > Configuring Parser). */
const PARSER_KEYS: Record<string, KeySpec> = {
  name: str(),
  format: oneOf('json', 'regex', 'ltsv', 'logfmt'),
  regex: str(),
  time_key: str(),
  time_format: str(),
  time_offset: str(),
  time_keep: bool,
  time_strict: bool,
  types: str(),
  decode_field: str(true),
  decode_field_as: str(true),
  skip_empty_values: bool,
};

/** Keys of a [MULTILINE_PARSER] section (Administration > Multiline Parsing). */
const MULTILINE_PARSER_KEYS: Record<string, KeySpec> = {
  name: str(),
  type: oneOf('regex'),
  parser: str(),
  key_content: str(),
  flush_timeout: int(1),
  rule: str(true),
};

const INPUT_PLUGINS: Record<string, Record<string, KeySpec>> = { tail: TAIL_KEYS };
const FILTER_PLUGINS: Record<string, Record<string, KeySpec>> = { record_modifier: RECORD_MODIFIER_KEYS };
const OUTPUT_PLUGINS: Record<string, Record<string, KeySpec>> = { cloudwatch_logs: CLOUDWATCH_LOGS_KEYS };

/** Keys that match a pattern rather than a fixed name, such as the tail input's Parser_1 … Parser_N. */
const PATTERN_KEYS: Record<string, Array<[RegExp, KeySpec]>> = {
  tail: [[/^parser_\d+$/, str()]],
};

const MAIN_SECTIONS = ['SERVICE', 'INPUT', 'FILTER', 'OUTPUT'];
const PARSER_SECTIONS = ['PARSER', 'MULTILINE_PARSER'];

const SECTION_HEADER = /^\[([A-Za-z_][A-Za-z0-9_]*)\]$/;
const VARIABLE = /\$\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses one classic-format file and the files it includes. `files` maps names, relative
 * to the directory of the main file, to their content; a missing include is a problem.
 */
export function parseClassic(file: string, files: Record<string, string>, seen: string[] = []): ClassicDocument {
  const document: ClassicDocument = { sections: [], variables: new Map(), problems: [] };
  const text = files[file];
  if (text === undefined) {
    document.problems.push(`${file}: file not found`);
    return document;
  }
  if (seen.includes(file)) {
    document.problems.push(`${file}: included again from itself, through ${seen.join(' -> ')}`);
    return document;
  }

  let indentation: string | undefined;
  let current: ClassicSection | undefined;
  const close = () => {
    if (current && current.entries.length === 0) {
      document.problems.push(`${file}:${current.line}: section [${current.name}] is empty; a section needs at least one entry`);
    }
    current = undefined;
  };

  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const where = `${file}:${line}`;
    const content = raw.trimEnd();
    if (content.trim() === '') return;

    if (content.startsWith('[')) {
      close();
      const match = SECTION_HEADER.exec(content);
      if (!match?.[1]) {
        document.problems.push(`${where}: "${content}" is not a section header such as [INPUT]`);
        return;
      }
      current = { name: match[1].toUpperCase(), file, line, entries: [] };
      document.sections.push(current);
      return;
    }

    if (content.startsWith('@')) {
      close();
      parseCommand(content, where, files, [...seen, file], document);
      return;
    }

    if (content.startsWith('#')) {
      if (current) document.problems.push(`${where}: a comment inside section [${current.name}] must be indented`);
      return;
    }

    const indent = /^[ \t]*/.exec(content)?.[0] ?? '';
    if (indent === '') {
      document.problems.push(`${where}: "${content}" must be indented, because entries belong to a section`);
      return;
    }
    if (!current) {
      document.problems.push(`${where}: entry "${content.trim()}" is outside any section`);
      return;
    }
    indentation ??= indent;
    if (indent !== indentation) {
      document.problems.push(
        `${where}: indentation ${JSON.stringify(indent)} differs from ${JSON.stringify(indentation)}, the indentation of the file's first entry`,
      );
      return;
    }

    const body = content.slice(indent.length);
    if (body.startsWith('#')) return;
    const match = /^(\S+)\s+(.*\S)$/.exec(body);
    if (!match?.[1] || match[2] === undefined) {
      document.problems.push(`${where}: key "${body}" has no value`);
      return;
    }
    current.entries.push({ key: match[1], value: match[2], line });
  });
  close();
  return document;
}

function parseCommand(
  content: string,
  where: string,
  files: Record<string, string>,
  seen: string[],
  document: ClassicDocument,
): void {
  const include = /^@INCLUDE\s+(\S+)$/.exec(content);
  if (include?.[1]) {
    const included = parseClassic(include[1], files, seen);
    document.sections.push(...included.sections);
    for (const [name, value] of included.variables) document.variables.set(name, value);
    document.problems.push(...included.problems);
    return;
  }
  const set = /^@SET\s+([^=\s]+)=(.*)$/.exec(content);
  if (set?.[1] !== undefined && set[2] !== undefined) {
    if (!VARIABLE_NAME.test(set[1])) document.problems.push(`${where}: @SET variable name "${set[1]}" is invalid`);
    document.variables.set(set[1], set[2]);
    return;
  }
  document.problems.push(`${where}: "${content}" is not a command; use @INCLUDE file or @SET NAME=value`);
}

export interface CheckOptions {
  /** Name of the main configuration file in `files`. */
  main: string;
  /** Directory the files are mounted in, to resolve absolute Parsers_File paths. */
  directory: string;
  /** Environment variables set in the Fluent Bit container. */
  environment: readonly string[];
}

/**
 * Checks a Fluent Bit configuration: its format, the sections each file may hold, the
 * keys and values of each section, the references between them (Parsers_File, Parser)
 * and that every `${NAME}` is defined. Returns the problems found, empty when none.
 */
export function checkFluentBitConfig(files: Record<string, string>, options: CheckOptions): string[] {
  const main = parseClassic(options.main, files);
  const problems = [...main.problems];
  const defined = new Set([...options.environment, ...main.variables.keys()]);

  for (const section of main.sections) {
    if (!MAIN_SECTIONS.includes(section.name)) {
      problems.push(`${section.file}:${section.line}: section [${section.name}] is not allowed here; use one of ${MAIN_SECTIONS.join(', ')}`);
    }
  }
  for (const required of ['INPUT', 'OUTPUT']) {
    if (!main.sections.some((section) => section.name === required)) {
      problems.push(`${options.main}: section [${required}] is missing; Fluent Bit needs at least one`);
    }
  }
  const services = main.sections.filter((section) => section.name === 'SERVICE');
  if (services.length > 1) problems.push(`${options.main}: [SERVICE] appears ${services.length} times; merge them into one`);

  const parserNames = new Set<string>();
  for (const section of main.sections) {
    problems.push(...checkSection(section, defined));
    if (section.name !== 'SERVICE') continue;
    for (const entry of section.entries.filter((item) => item.key.toLowerCase() === 'parsers_file')) {
      const name = relativeTo(options.directory, entry.value);
      const parsers = parseClassic(name, files);
      problems.push(...parsers.problems.map((problem) => `${problem} (Parsers_File at ${section.file}:${entry.line})`));
      for (const parser of parsers.sections) {
        if (!PARSER_SECTIONS.includes(parser.name)) {
          problems.push(`${parser.file}:${parser.line}: section [${parser.name}] is not allowed in a parsers file; use PARSER or MULTILINE_PARSER`);
          continue;
        }
        problems.push(...checkSection(parser, defined));
        const parserName = valueOf(parser, 'name');
        if (parserName !== undefined) parserNames.add(parserName);
      }
    }
  }

  for (const input of main.sections.filter((section) => section.name === 'INPUT')) {
    const parser = valueOf(input, 'parser');
    if (parser !== undefined && !parserNames.has(parser)) {
      problems.push(`${input.file}:${input.line}: [INPUT] uses parser "${parser}", which no Parsers_File defines`);
    }
  }
  return problems;
}

function checkSection(section: ClassicSection, defined: Set<string>): string[] {
  const problems: string[] = [];
  const where = `${section.file}:${section.line}`;
  const { keys, patterns, missing } = schemaOf(section);
  problems.push(...missing.map((problem) => `${where}: [${section.name}] ${problem}`));
  if (!keys) return problems;

  const counts = new Map<string, number>();
  for (const entry of section.entries) {
    const key = entry.key.toLowerCase();
    const spec = keys[key] ?? patterns.find(([pattern]) => pattern.test(key))?.[1];
    const at = `${section.file}:${entry.line}`;
    if (!spec) {
      problems.push(`${at}: unknown key "${entry.key}" in [${section.name}]${pluginSuffix(section)}`);
      continue;
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!spec.repeatable && counts.get(key) === 2) {
      problems.push(`${at}: key "${entry.key}" appears more than once in [${section.name}], but it takes a single value`);
    }
    problems.push(...checkVariables(entry, at, defined));
    if (!entry.value.includes('${')) {
      const problem = valueProblem(entry.value, spec.value);
      if (problem) problems.push(`${at}: value "${entry.value}" of ${entry.key} is invalid; ${problem}`);
    }
  }
  problems.push(...crossFieldProblems(section));
  return problems;
}

/** Returns the keys a section accepts, given its kind and plugin, and the required keys it lacks. */
function schemaOf(section: ClassicSection): {
  keys: Record<string, KeySpec> | undefined;
  patterns: Array<[RegExp, KeySpec]>;
  missing: string[];
} {
  const plugin = valueOf(section, 'name');
  const missing: string[] = [];
  const routed = (plugins: Record<string, Record<string, KeySpec>>, base: Record<string, KeySpec>) => {
    if (plugin === undefined) {
      missing.push('has no Name');
      return undefined;
    }
    const own = plugins[plugin.toLowerCase()];
    if (!own) {
      missing.push(`plugin "${plugin}" has no allow-list in this checker; add its documented keys first`);
      return undefined;
    }
    return { ...base, ...own };
  };

  switch (section.name) {
    case 'SERVICE':
      return { keys: SERVICE_KEYS, patterns: [], missing };
    case 'INPUT': {
      const keys = routed(INPUT_PLUGINS, INPUT_KEYS);
      if (keys && valueOf(section, 'tag') === undefined) missing.push('has no Tag');
      return { keys, patterns: PATTERN_KEYS[plugin?.toLowerCase() ?? ''] ?? [], missing };
    }
    case 'FILTER':
    case 'OUTPUT': {
      const keys = routed(section.name === 'FILTER' ? FILTER_PLUGINS : OUTPUT_PLUGINS, section.name === 'FILTER' ? ROUTED_KEYS : { ...ROUTED_KEYS, ...OUTPUT_KEYS });
      if (keys && valueOf(section, 'match') === undefined && valueOf(section, 'match_regex') === undefined) {
        missing.push('has neither Match nor Match_Regex');
      }
      return { keys, patterns: [], missing };
    }
    case 'PARSER':
      for (const key of ['name', 'format']) if (valueOf(section, key) === undefined) missing.push(`has no ${key}`);
      if (valueOf(section, 'format')?.toLowerCase() === 'regex' && valueOf(section, 'regex') === undefined) missing.push('has Format regex but no Regex');
      return { keys: PARSER_KEYS, patterns: [], missing };
    case 'MULTILINE_PARSER':
      return { keys: MULTILINE_PARSER_KEYS, patterns: [], missing };
    default:
      return { keys: undefined, patterns: [], missing };
  }
}

/** Rules between keys of one plugin that its manual page states. */
function crossFieldProblems(section: ClassicSection): string[] {
  const where = `${section.file}:${section.line}`;
  if (section.name !== 'OUTPUT' || valueOf(section, 'name')?.toLowerCase() !== 'cloudwatch_logs') return [];
  const problems: string[] = [];
  for (const key of ['region', 'log_group_name']) {
    if (valueOf(section, key) === undefined) problems.push(`${where}: cloudwatch_logs needs ${key}`);
  }
  const streamName = valueOf(section, 'log_stream_name');
  const streamPrefix = valueOf(section, 'log_stream_prefix');
  if (streamName === undefined && streamPrefix === undefined) problems.push(`${where}: cloudwatch_logs needs log_stream_name or log_stream_prefix`);
  if (streamName !== undefined && streamPrefix !== undefined) {
    problems.push(`${where}: cloudwatch_logs accepts log_stream_name or log_stream_prefix, not both`);
  }
  return problems;
}

function checkVariables(entry: ClassicEntry, at: string, defined: Set<string>): string[] {
  const problems: string[] = [];
  for (const [, name = ''] of entry.value.matchAll(VARIABLE)) {
    if (!VARIABLE_NAME.test(name)) problems.push(`${at}: "\${${name}}" in ${entry.key} is not a valid variable reference`);
    else if (!defined.has(name)) problems.push(`${at}: variable ${name} in ${entry.key} is not set in the environment or by @SET`);
  }
  const unclosed = entry.value.replace(VARIABLE, '');
  if (unclosed.includes('${')) problems.push(`${at}: "\${" in ${entry.key} has no closing brace`);
  return problems;
}

/** Checks a value against its documented type, and returns the problem or undefined. */
function valueProblem(value: string, type: ValueType): string | undefined {
  const lower = value.toLowerCase();
  switch (type.type) {
    case 'string':
      return undefined;
    case 'bool':
      return ['on', 'off', 'true', 'false', 'yes', 'no'].includes(lower) ? undefined : 'use On, Off, true, false, yes or no';
    case 'int':
      return /^\d+$/.test(value) && Number(value) >= (type.min ?? 0) ? undefined : `use a whole number of at least ${type.min ?? 0}`;
    case 'number':
      return /^\d+(\.\d+)?$/.test(value) ? undefined : 'use a number such as 1 or 0.5';
    case 'size':
      return /^\d+(\.\d+)?([kmg]b?)?$/i.test(value) ? undefined : 'use a unit size such as 32k, 5M or 1G';
    case 'enum':
      return type.values.includes(lower) ? undefined : `use one of ${type.values.join(', ')}`;
    case 'retry':
      return /^[1-9]\d*$/.test(value) || ['false', 'no_limits', 'no_retries'].includes(lower)
        ? undefined
        : 'use a whole number of at least 1, False or no_limits, or no_retries';
  }
}

function valueOf(section: ClassicSection, key: string): string | undefined {
  return section.entries.filter((entry) => entry.key.toLowerCase() === key).at(-1)?.value;
}

function pluginSuffix(section: ClassicSection): string {
  const plugin = valueOf(section, 'name');
  return plugin && section.name !== 'SERVICE' && !PARSER_SECTIONS.includes(section.name) ? ` of plugin ${plugin}` : '';
}

function relativeTo(directory: string, path: string): string {
  const prefix = directory.endsWith('/') ? directory : `${directory}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}
