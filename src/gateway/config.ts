import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { randomBytes } from 'node:crypto'
import { parse as parseYaml } from 'yaml'
import type TypeScript from 'typescript'
import type { z } from 'zod'
import { SeamlineError } from '../errors/index.js'
import { configSchema, type GatewayConfig, type GatewayConfigInput } from './config-schema.js'

/** Types a configuration written in TypeScript; returns it unchanged. */
export function defineConfig(config: GatewayConfigInput): GatewayConfigInput {
  return config
}

/** Looked for, in this order, when no file is named. */
export const configFileNames = [
  'seamline.config.ts',
  'seamline.config.mjs',
  'seamline.config.js',
  'seamline.config.json',
  'seamline.config.yaml',
  'seamline.config.yml',
] as const

/** `webhooks.sources.stripe.secrets[0]` */
function pathOf(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out === '' ? '(root)' : out
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${pathOf([...issue.path, key])}: unknown key`)
  }
  return [`${pathOf(issue.path)}: ${issue.message}`]
}

/**
 * Validates a configuration and fills in its defaults. Throws `SEAM_ERR_CONFIG_INVALID` naming
 * every offending key path, e.g. `webhooks.sources.stripe.secrets[0]: expected a non-empty string`.
 */
export function parseConfig(value: unknown, origin = 'configuration'): GatewayConfig {
  const result = configSchema.safeParse(value)
  if (result.success) return result.data
  const problems = result.error.issues.flatMap(describeIssue)
  const error = new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
    operation: 'load',
    target: origin,
    reason: `is invalid:\n  ${problems.join('\n  ')}`,
  })
  throw Object.assign(error, { problems })
}

function loadFailed(file: string, reason: string, cause?: unknown): SeamlineError {
  return new SeamlineError('SEAM_ERR_CONFIG_LOAD', {
    operation: 'load',
    target: file,
    reason,
    ...(cause !== undefined && { cause }),
  })
}

const moduleExtensions = new Set(['.ts', '.mts', '.js', '.mjs'])

async function importDefault(file: string): Promise<unknown> {
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown }
  return module.default
}

/**
 * Node 20 cannot import TypeScript: the file is transpiled (with the app's own `typescript`)
 * to a module beside it, so its relative and package imports resolve as written, then removed.
 */
async function importTypeScript(file: string): Promise<unknown> {
  try {
    return await importDefault(file)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error
  }
  let ts: typeof TypeScript
  try {
    ts = (await import('typescript')).default
  } catch (error) {
    throw loadFailed(
      file,
      'needs the typescript package to be read on this Node version (or write seamline.config.mjs)',
      error,
    )
  }
  const source = await readFile(file, 'utf8')
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  })
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.mjs`)
  await writeFile(temporary, outputText)
  try {
    return await importDefault(temporary)
  } finally {
    await rm(temporary, { force: true })
  }
}

async function readConfigValue(file: string): Promise<unknown> {
  const extension = extname(file)
  if (moduleExtensions.has(extension)) {
    try {
      return extension === '.ts' || extension === '.mts'
        ? await importTypeScript(file)
        : await importDefault(file)
    } catch (error) {
      if (error instanceof SeamlineError) throw error
      throw loadFailed(file, `could not be imported: ${(error as Error).message}`, error)
    }
  }
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw loadFailed(file, `cannot be read (${typeof code === 'string' ? code : 'error'})`, error)
  }
  if (extension === '.json') {
    try {
      return JSON.parse(text) as unknown
    } catch (error) {
      throw loadFailed(file, `is not valid JSON: ${(error as Error).message}`, error)
    }
  }
  if (extension === '.yaml' || extension === '.yml') {
    try {
      return parseYaml(text) as unknown
    } catch (error) {
      throw loadFailed(file, `is not valid YAML: ${(error as Error).message}`, error)
    }
  }
  throw loadFailed(file, 'has an unknown extension (expected .ts, .mjs, .js, .json, .yaml or .yml)')
}

/**
 * Reads and validates a configuration file: `.ts`/`.mjs`/`.js` (its default export), `.json`,
 * `.yaml`/`.yml`. Without a file, the first of `configFileNames` found in `cwd`; none at all
 * gives the defaults (an embedded SQLite store, no sources).
 */
export async function loadConfig(
  file?: string,
  cwd: string = process.cwd(),
): Promise<{ config: GatewayConfig; file: string | undefined }> {
  const found =
    file === undefined
      ? configFileNames.map((name) => join(cwd, name)).find((path) => existsSync(path))
      : resolve(cwd, file)
  if (found === undefined) return { config: parseConfig({}), file: undefined }
  if (file !== undefined && !existsSync(found)) throw loadFailed(found, 'does not exist')
  const value = await readConfigValue(found)
  return { config: parseConfig(value, found), file: found }
}
