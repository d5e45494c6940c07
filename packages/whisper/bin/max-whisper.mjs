#!/usr/bin/env node
// Launcher for the max-whisper CLI: the package ships TypeScript sources, so src/cli.ts runs
// through tsx's loader, registered here.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
