#!/usr/bin/env node
// Compiles contracts/TransferEmitter.sol (the monitor benchmark's log emitter) with the pinned solcjs
// into contracts/TransferEmitter.json, recording the source's SHA-256 like the ReserveToken artifact.
// Usage: node contracts/build-TransferEmitter.mjs [--out <path>]

import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import solc from 'solc'

const here = dirname(fileURLToPath(import.meta.url))
const CONTRACT = 'TransferEmitter'
const SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
}
const i = process.argv.indexOf('--out')
const out = i > 0 ? process.argv[i + 1] : join(here, `${CONTRACT}.json`)
const source = readFileSync(join(here, `${CONTRACT}.sol`))
const input = { language: 'Solidity', sources: { [`${CONTRACT}.sol`]: { content: source.toString('utf8') } }, settings: SETTINGS }
const output = JSON.parse(solc.compile(JSON.stringify(input)))
for (const e of output.errors ?? []) console.error(e.formattedMessage)
if ((output.errors ?? []).some((e) => e.severity === 'error')) process.exit(1)
const compiled = output.contracts[`${CONTRACT}.sol`][CONTRACT]
const { optimizer, evmVersion } = SETTINGS
writeFileSync(out, JSON.stringify({
  contract: CONTRACT,
  abi: compiled.abi,
  bytecode: '0x' + compiled.evm.bytecode.object,
  compiler: { name: 'solc', version: solc.version(), settings: { evmVersion, optimizer } },
  source: `contracts/${CONTRACT}.sol`,
  source_sha256: createHash('sha256').update(source).digest('hex'),
}, null, 2) + '\n')
console.log(`wrote ${out}`)
