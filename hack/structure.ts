// The code's structure in figures, to compare a restructuring with what came before: per folder of
// src/ its modules, lines and imports into other folders, then the largest modules and functions.
//   npx tsx hack/structure.ts [ROOT] [--json]
// ROOT (default: the current directory) is a checkout; only its src/ is read, test modules excepted.
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** A module of src/: its path relative to src/ (`reconciler/gaim.ts`) and its text. */
export interface SourceFile { path: string; text: string }

export interface FolderFigures {
  /** Relative to src/; `.` is src/ itself. */
  folder: string;
  /** Modules directly in the folder, not in its subfolders (a subfolder is a folder of its own). */
  modules: number;
  lines: number;
  /** Import and `export … from` statements, `import type` included, that reach a module of another folder. */
  importsOut: number;
  /** `importsOut` by the folder they reach. */
  importsTo: Record<string, number>;
  /** Statements of other folders that reach this one: who depends on it. */
  importsIn: number;
  /**
   * `import('./x.js')` calls that reach another folder. Kept apart from the statements: they load a
   * module lazily on one path (a subcommand, an SDK) and say less about the folder's dependencies.
   */
  lazyTo: Record<string, number>;
}

export interface ModuleFigures { path: string; lines: number }
export interface FunctionFigures { path: string; name: string; lines: number }

export interface Structure {
  folders: FolderFigures[];
  /** The largest first, as many as measure() was asked for. */
  largestModules: ModuleFigures[];
  largestFunctions: FunctionFigures[];
}

/** Lines as an editor numbers them: a final newline does not start another line. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

export const folderOf = (path: string): string => posix.dirname(path);

/** The module a relative specifier reaches from `from` (both relative to src/), or undefined for a package. */
export function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  // NodeNext: the source names the emitted `.js`, the module on disk is the `.ts`.
  return posix.join(posix.dirname(from), specifier).replace(/\.js$/, '.ts');
}

/** The specifiers of a module's import statements and of its `import()` calls with a literal argument. */
export function importsOf(file: SourceFile): { statements: string[]; lazy: string[] } {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const statements: string[] = [];
  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier !== undefined && ts.isStringLiteral(statement.moduleSpecifier)) {
      statements.push(statement.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference) && ts.isStringLiteral(statement.moduleReference.expression)) {
      statements.push(statement.moduleReference.expression.text);
    }
  }
  const lazy: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteralLike(argument)) lazy.push(argument.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { statements, lazy };
}

function nameText(name: ts.PropertyName | ts.BindingName, source: ts.SourceFile): string | undefined {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name)) return name.getText(source);
  return undefined; // a destructuring pattern names no one function
}

function classNameOf(node: ts.Node): string {
  const owner = node.parent;
  if ((ts.isClassDeclaration(owner) || ts.isClassExpression(owner)) && owner.name !== undefined) return owner.name.text;
  if (ts.isClassExpression(owner) && ts.isVariableDeclaration(owner.parent) && ts.isIdentifier(owner.parent.name)) return owner.parent.name.text;
  return ts.isClassDeclaration(owner) ? 'default' : '(class)';
}

/**
 * The name a function goes by: its declaration's, `Class.member` for a class's, or that of the
 * variable, property or assignment target that holds it. Undefined for an anonymous callback.
 */
function functionName(node: ts.Node, source: ts.SourceFile): string | undefined {
  if (ts.isFunctionDeclaration(node)) return node.name?.text ?? 'default';
  if (ts.isConstructorDeclaration(node)) return `${classNameOf(node)}.constructor`;
  if (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) {
    const name = nameText(node.name, source);
    if (name === undefined) return undefined;
    const member = ts.isGetAccessorDeclaration(node) ? `get ${name}` : ts.isSetAccessorDeclaration(node) ? `set ${name}` : name;
    return ts.isClassLike(node.parent) ? `${classNameOf(node)}.${member}` : member;
  }
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return undefined;
  // `(async () => …)` and `f as Handler` hold the same function.
  let holder: ts.Node = node.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder)) holder = holder.parent;
  if (ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder)) return nameText(holder.name, source);
  if (ts.isPropertyDeclaration(holder)) {
    const name = nameText(holder.name, source);
    return name === undefined ? undefined : `${classNameOf(holder)}.${name}`;
  }
  if (ts.isBinaryExpression(holder) && holder.operatorToken.kind === ts.SyntaxKind.EqualsToken) return holder.left.getText(source);
  return undefined;
}

type FunctionNode = ts.FunctionDeclaration | ts.MethodDeclaration | ts.ConstructorDeclaration | ts.AccessorDeclaration | ts.ArrowFunction | ts.FunctionExpression;
const isFunctionWithBody = (node: ts.Node): node is FunctionNode =>
  (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)
    || ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && node.body !== undefined;

/**
 * Every named function of a module with its lines, from its first token (a doc comment excluded) to
 * its last. An anonymous callback is not listed: its lines count toward the function it is written
 * in. A named function inside another is listed, and its lines count toward both.
 * Declarations without a body (overloads, abstract methods) are skipped.
 */
export function functionsOf(file: SourceFile): FunctionFigures[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const line = (position: number) => source.getLineAndCharacterOfPosition(position).line;
  const found: FunctionFigures[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionWithBody(node)) {
      const name = functionName(node, source);
      if (name !== undefined) found.push({ path: file.path, name, lines: line(node.getEnd()) - line(node.getStart(source)) + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const count = (tally: Record<string, number>, key: string): void => { tally[key] = (tally[key] ?? 0) + 1; };
const sorted = (tally: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(tally).sort(([a], [b]) => byText(a, b)));

/** The figures of a set of modules (paths relative to src/), with the `top` largest modules and functions. */
export function measure(files: SourceFile[], top = 15): Structure {
  const folders = new Map<string, FolderFigures>();
  const folder = (name: string): FolderFigures => {
    let figures = folders.get(name);
    if (figures === undefined) {
      figures = { folder: name, modules: 0, lines: 0, importsOut: 0, importsTo: {}, importsIn: 0, lazyTo: {} };
      folders.set(name, figures);
    }
    return figures;
  };
  for (const file of files) {
    const own = folder(folderOf(file.path));
    own.modules += 1;
    own.lines += lineCount(file.text);
  }
  for (const file of files) {
    const own = folder(folderOf(file.path));
    const { statements, lazy } = importsOf(file);
    const otherFolders = (specifiers: string[]) => specifiers.flatMap((specifier) => {
      const target = resolveSpecifier(file.path, specifier);
      return target === undefined || folderOf(target) === own.folder ? [] : [folderOf(target)];
    });
    for (const target of otherFolders(statements)) {
      own.importsOut += 1;
      count(own.importsTo, target);
      // A folder reached but holding none of the files measured (outside src/, say) gets no row.
      const reached = folders.get(target);
      if (reached !== undefined) reached.importsIn += 1;
    }
    for (const target of otherFolders(lazy)) count(own.lazyTo, target);
  }
  const largest = <T extends { path: string; lines: number }>(items: T[], tie: (a: T, b: T) => number) =>
    items.sort((a, b) => b.lines - a.lines || byText(a.path, b.path) || tie(a, b)).slice(0, top);
  return {
    folders: [...folders.values()].sort((a, b) => byText(a.folder, b.folder)).map((f) => ({ ...f, importsTo: sorted(f.importsTo), lazyTo: sorted(f.lazyTo) })),
    largestModules: largest(files.map((file) => ({ path: file.path, lines: lineCount(file.text) })), () => 0),
    largestFunctions: largest(files.flatMap(functionsOf), (a, b) => byText(a.name, b.name)),
  };
}

const breakdown = (tally: Record<string, number>): string => Object.entries(tally).map(([to, n]) => `${to}: ${n}`).join(', ');
const table = (head: string[], align: string[], rows: (string | number)[][]): string[] =>
  [`| ${head.join(' | ')} |`, `|${align.join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];

/** The figures as Markdown. */
export function render(data: Structure): string {
  const total = (key: 'modules' | 'lines' | 'importsOut' | 'importsIn') => data.folders.reduce((sum, f) => sum + f[key], 0);
  const lazy = (f: FolderFigures) => Object.values(f.lazyTo).reduce((sum, n) => sum + n, 0);
  const reconciler = data.folders.find((f) => f.folder === 'reconciler')?.modules ?? 0;
  return [
    '## Folders of src/',
    '',
    'Modules and lines directly in the folder; imports: statements (`import type` and `export … from` included) reaching a module of another folder.',
    '',
    ...table(['folder', 'modules', 'lines', 'imports out', 'to', 'imported by others', 'lazy import() out'], ['---', '---:', '---:', '---:', '---', '---:', '---'], [
      ...data.folders.map((f) => [f.folder, f.modules, f.lines, f.importsOut, breakdown(f.importsTo), f.importsIn, lazy(f) === 0 ? '' : `${lazy(f)} (${breakdown(f.lazyTo)})`]),
      ['**all**', total('modules'), total('lines'), total('importsOut'), '', total('importsIn'), ''],
    ]),
    '',
    `src/reconciler top-level modules: ${reconciler}`,
    '',
    `## The ${data.largestModules.length} largest modules`,
    '',
    ...table(['module', 'lines'], ['---', '---:'], data.largestModules.map((m) => [m.path, m.lines])),
    '',
    `## The ${data.largestFunctions.length} largest functions`,
    '',
    ...table(['module', 'function', 'lines'], ['---', '---', '---:'], data.largestFunctions.map((f) => [f.path, `\`${f.name}\``, f.lines])),
    '',
  ].join('\n');
}

/** The modules of `root`/src, test modules excepted, with paths relative to src/. */
export function readSources(root: string): SourceFile[] {
  const src = posix.join(root, 'src');
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'))
    .sort(byText)
    .map((path) => ({ path, text: readFileSync(posix.join(src, path), 'utf8') }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const data = measure(readSources(args.find((arg) => !arg.startsWith('--')) ?? '.'));
  console.log(args.includes('--json') ? JSON.stringify(data, null, 2) : render(data));
}
