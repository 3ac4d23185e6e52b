// Copies the non-TypeScript files the built output needs (the demo's web page) next to it in dist/.
import { cpSync, existsSync } from 'node:fs';

const assets = ['src/demo/page'];
for (const dir of assets) if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
