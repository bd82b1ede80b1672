import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Whether Node loads this file as CommonJS: by its extension, else by the nearest package.json's "type". */
export function loadsAsCommonJs(file: string): boolean {
  if (/\.c[jt]s$/.test(file)) return true;
  if (/\.m[jt]s$/.test(file)) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown };
      return manifest.type !== 'module';
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') return false;
    }
    if (dir === path.dirname(dir)) return true;
  }
}
