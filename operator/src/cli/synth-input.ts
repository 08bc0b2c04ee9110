/**
 * Reads the input of `flywheel synth`: YAML or JSON files, directories of them and
 * standard input, each possibly with several documents. Every document keeps its file
 * and position, so an error can point at the line of the field it is about.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { FieldPath } from './synth-validation.ts';

/** Name under which standard input appears in messages. */
export const STDIN = '<stdin>';

const EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface SourceDocument {
  /** The file as found on the command line or in a directory, or "<stdin>". */
  source: string;
  /** 1-based position of the document in its file. */
  index: number;
  object: unknown;
  /** Returns "file:line:column" of the field at `path`, or of its nearest parent present in the file. */
  locate(path: FieldPath): string;
}

export interface InputResult {
  documents: SourceDocument[];
  errors: string[];
}

/** Expands the -f arguments into files: a directory contributes its YAML and JSON files, recursively and sorted. */
export async function collectFiles(paths: string[]): Promise<{ files: string[]; errors: string[] }> {
  const files: string[] = [];
  const errors: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push(STDIN);
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch {
      errors.push(`${path}: not found; -f takes a file, a directory or - for standard input`);
      continue;
    }
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const found = await listManifests(path);
    if (found.length === 0) errors.push(`${path}: directory contains no ${EXTENSIONS.join(', ')} files`);
    files.push(...found);
  }
  return { files, errors };
}

async function listManifests(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    // Hidden entries such as .git hold no manifests.
    if (entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await listManifests(path)));
    else if (EXTENSIONS.some((extension) => entry.name.endsWith(extension))) files.push(path);
  }
  return files;
}

/** Parses every document of every file; syntax errors are returned with their line and column. */
export async function readDocuments(files: string[], readStdin: () => Promise<string>): Promise<InputResult> {
  const documents: SourceDocument[] = [];
  const errors: string[] = [];
  for (const source of files) {
    let text: string;
    try {
      text = source === STDIN ? await readStdin() : await readFile(source, 'utf8');
    } catch (error) {
      errors.push(`${source}: cannot be read: ${(error as Error).message}`);
      continue;
    }
    const lineCounter = new LineCounter();
    const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
    // parseAllDocuments returns an EmptyStream, not a list, for a file without documents.
    const list: Document[] = Array.isArray(parsed) ? parsed : [];
    list.forEach((document, position) => {
      const where = (offset: number) => {
        const { line, col } = lineCounter.linePos(offset);
        return `${source}:${line}:${col}`;
      };
      if (document.errors.length > 0) {
        for (const error of document.errors) errors.push(`${where(error.pos[0])}: invalid YAML: ${error.message}`);
        return;
      }
      const object: unknown = document.toJS();
      if (object === null || object === undefined) return;
      documents.push({
        source,
        index: position + 1,
        object,
        locate: (path) => where(offsetOf(document, path)),
      });
    });
  }
  return { documents, errors };
}

/**
 * Finds the start offset of the field at `path`: its key when it sits in a map, so
 * messages point at the line that names the field, else the node itself. A path that
 * does not exist falls back to its nearest parent.
 */
function offsetOf(document: Document, path: FieldPath): number {
  const nodeAt = (prefix: FieldPath): unknown => (prefix.length === 0 ? document.contents : document.getIn(prefix, true));
  for (let length = path.length; length > 0; length -= 1) {
    const parent = nodeAt(path.slice(0, length - 1));
    let node: unknown = nodeAt(path.slice(0, length));
    if (isMap(parent)) {
      const key = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === path[length - 1])?.key;
      node = key ?? node;
    }
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return range[0];
  }
  const root = document.contents as { range?: [number, number, number] } | null;
  return root?.range?.[0] ?? 0;
}
