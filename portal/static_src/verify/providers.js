// Format 5's `providers` member as reserves verify's `providers` check re-derives it (members/providers.py with
// the integer rules of collateral.py), and its `chain.providers` check. In BigInt, never floats: collateral is
// valued down and the obligation up (satoshis), the ratio is floored (basis points), the penalty rounded up;
// the state worsens at once and improves only past the hysteresis band; `unknown`, with its reasons, when a
// reading failed, is too old or in the future, USD collateral has no fresh BTC-USD price, or a figure would
// exceed 78 digits. Every problem, reason and refusal reads as Python writes it (the check compares `reasons`).

import { BP_SCALE, MAX_FUTURE_BLOCK_SECONDS, Problem, parseTimestamp, pyRepr, pyStr } from "./rules.js";

const SAT_PER_BTC = 100000000n;
const E8 = 100000000n; // prices and USD amounts are scaled by 10**8
const PAIR = "BTC-USD";
const UNKNOWN = "unknown";
const RANK = new Map([
  ["liquidatable", 0],
  ["warning", 1],
  ["healthy", 2],
]);
const MAX_BP = 1000000n;
const MAX_DECIMALS = 36;
const AMOUNT_LIMIT = 10n ** 78n; // every figure is a decimal string of at most 78 digits
const THRESHOLDS = ["warning_below_bp", "liquidatable_below_bp", "hysteresis_bp", "penalty_bp"];
const MAX_DETAIL = 600;
const PRICE_COUNTS = ["max_age_seconds", "sources", "kept", "min_sources"]; // what makes a price's `fresh` checkable

// What Python raises reading a malformed member (KeyError, TypeError, ValueError): the check reports it as
// `providers: cannot be re-derived (<type>: <message>)`, as members/providers.check does.
export class PyError extends Problem {
  constructor(type, message) {
    super(`${type}: ${message}`);
  }
}

const isDict = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const pyType = (v) =>
  v === null || v === undefined ? "NoneType" : typeof v === "boolean" ? "bool" : typeof v === "number" ? "int" : typeof v === "string" ? "str" : Array.isArray(v) ? "list" : "dict";

// d[k]
function at(d, k) {
  if (!isDict(d)) throw new PyError("TypeError", `'${pyType(d)}' object is not subscriptable by ${pyRepr(k)}`);
  if (!Object.hasOwn(d, k)) throw new PyError("KeyError", pyRepr(k));
  return d[k];
}
// d.get(k)
const get = (d, k) => (isDict(d) && Object.hasOwn(d, k) ? d[k] : null);
// k in d
function has(d, k) {
  if (!isDict(d)) throw new PyError("TypeError", `argument of type '${pyType(d)}' is not a dict`);
  return Object.hasOwn(d, k);
}
function list(v) {
  if (!Array.isArray(v)) throw new PyError("TypeError", `'${pyType(v)}' object is not a list`);
  return v;
}
// int(v) of a JSON value: a decimal string or an integer.
function int(v) {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string") {
    if (/^[+-]?[0-9]+$/.test(v)) return BigInt(v);
    throw new PyError("ValueError", `invalid literal for int() with base 10: ${pyRepr(v)}`);
  }
  throw new PyError("TypeError", `int() argument must be a string, a bytes-like object or a real number, not '${pyType(v)}'`);
}
// Python's truth value of a JSON value.
const truthy = (v) => !(v === null || v === undefined || v === false || v === 0 || v === "" || (Array.isArray(v) ? v.length === 0 : isDict(v) && Object.keys(v).length === 0));
const digits = (v) => String(v).length;
const cut = (text, n) => Array.from(text).slice(0, n).join("");

// ---- collateral.py ----

function units(value, what) {
  if (value < 0n) throw new Problem(`${what} must be a non-negative integer`);
  return value;
}

function decimalsOf(value) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_DECIMALS) {
    throw new Problem(`decimals must be an integer from 0 to ${MAX_DECIMALS}`);
  }
  return value;
}

// BTC-denominated raw units (10**decimals per BTC) in satoshis, rounded up or down.
export function btcSat(amount, decimals, up) {
  const u = units(amount, "amount");
  const scale = 10n ** BigInt(decimalsOf(decimals));
  const num = u * SAT_PER_BTC;
  return up ? (num + scale - 1n) / scale : num / scale;
}

// USD raw units (10**decimals per dollar) as USD times 10**8, rounded down.
export const usdE8 = (amount, decimals) => (units(amount, "amount") * E8) / 10n ** BigInt(decimalsOf(decimals));

// floor(usd_e8 * 10**8 / price_e8): satoshis at price_e8 USD per BTC (x 10**8).
export function usdToSat(usd, priceE8) {
  if (priceE8 <= 0n) throw new Problem("price_e8 must be a positive integer");
  return (units(usd, "usd amount") * SAT_PER_BTC) / priceE8;
}

// Collateral in satoshis, rounded down: BTC 1:1, USD at priceE8.
export function collateralSat(amount, decimals, asset, priceE8) {
  if (asset === "BTC") return btcSat(amount, decimals, false);
  if (asset === "USD") {
    if (priceE8 === null) throw new Problem("USD collateral needs a price");
    return usdToSat(usdE8(amount, decimals), priceE8);
  }
  throw new Problem("asset must be one of BTC, USD");
}

export const obligationSat = (amount, decimals) => btcSat(amount, decimals, true);

// floor(collateral * 10000 / obligation); null without an obligation.
export const ratioBp = (collateral, obligation) => (obligation === 0n ? null : (units(collateral, "collateral") * BP_SCALE) / obligation);

// penalty_bp of the obligation, rounded up (in the holders' favour).
export const penaltySat = (obligation, penaltyBp) => (units(obligation, "obligation") * penaltyBp + BP_SCALE - 1n) / BP_SCALE;

function held(ratio, line, band, previous) {
  const before = truthy(previous) ? `was ${pyStr(previous)}` : "no state before";
  return `ratio ${ratio} bp has not cleared ${line} bp by the ${band} bp band (${before})`;
}

// collateral.level: the state of `ratio` given the state before, and why it is not better.
export function level(ratio, t, previous) {
  if (ratio === null) return ["healthy", []];
  const liq = t.liquidatable_below_bp;
  const warn = t.warning_below_bp;
  const band = t.hysteresis_bp;
  const prev = RANK.get(truthy(previous) ? previous : "") ?? 0;
  if (ratio < liq) return ["liquidatable", [`ratio ${ratio} bp is below the liquidation line ${liq} bp`]];
  if (ratio < warn) {
    if (prev >= RANK.get("warning") || ratio >= liq + band) return ["warning", [`ratio ${ratio} bp is below the warning line ${warn} bp`]];
    return ["liquidatable", [held(ratio, liq, band, previous)]];
  }
  if (prev >= RANK.get("healthy") || ratio >= warn + band) return ["healthy", []];
  if (prev >= RANK.get("warning") || ratio >= liq + band) return ["warning", [held(ratio, warn, band, previous)]];
  return ["liquidatable", [held(ratio, liq, band, previous)]];
}

// members/providers.read_thresholds with collateral.Thresholds' own checks.
export function readThresholds(member) {
  const given = at(member, "thresholds");
  const t = {};
  for (const k of THRESHOLDS) t[k] = int(at(given, k));
  for (const k of THRESHOLDS) if (t[k] < 0n || t[k] > MAX_BP) throw new Problem(`${k} must be an integer from 0 to ${MAX_BP}`);
  if (!(0n < t.liquidatable_below_bp && t.liquidatable_below_bp <= t.warning_below_bp)) {
    throw new Problem("liquidatable_below_bp must be above 0 and at most warning_below_bp");
  }
  if (t.penalty_bp > BP_SCALE) throw new Problem(`penalty_bp must be at most ${BP_SCALE} (100 % of the obligation)`);
  return t;
}

// ---- members/providers.py: the rule ----

function seconds(leg) {
  const v = at(leg, "max_age_seconds");
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new PyError("TypeError", `'<=' not supported between instances of '${pyType(v)}' and 'int'`);
  return BigInt(v);
}

// Why a leg cannot be used at `issued` (Unix seconds): failed, too old, in the future.
function legReasons(label, leg, issued) {
  if (has(leg, "error")) return [`${label} not read (${pyStr(at(at(leg, "error"), "code"))})`];
  const when = BigInt(parseTimestamp(at(leg, "block_time")));
  const now = BigInt(issued);
  const maxAge = seconds(leg);
  if (when < now - maxAge) return [`${label} block_time ${pyStr(leg.block_time)} is older than max_age_seconds ${maxAge}`];
  if (when > now + BigInt(MAX_FUTURE_BLOCK_SECONDS)) return [`${label} block_time ${pyStr(leg.block_time)} is in the future`];
  return [];
}

// [price_e8, null] when `asset` needs a price and a usable one is there; [null, why] when not; [null, null] for BTC.
// Usable: the BTC-USD pair, called fresh, and fresh by what the member shows: dated at or before `issued` (Unix
// seconds), at most max_age_seconds before it, kept by at least min_sources of its round's sources.
function priceFor(asset, price, issued) {
  if (asset === "BTC") return [null, null];
  if (price === null) return [null, "collateral in USD and no price"];
  const pair = at(price, "pair");
  if (pair !== PAIR) return [null, `collateral in USD and the price is ${pyStr(pair)}, not ${PAIR}`];
  if (!truthy(at(price, "fresh"))) return [null, `collateral in USD and the price of ${pyStr(at(price, "time"))} is not fresh`];
  const n = {};
  for (const k of PRICE_COUNTS) {
    const v = at(price, k);
    if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new Problem(`price ${k} must be an integer`);
    n[k] = BigInt(v);
  }
  const time = BigInt(parseTimestamp(at(price, "time")));
  const now = BigInt(issued);
  const shown = pyStr(price.time);
  if (time > now) return [null, `collateral in USD and the price of ${shown} is dated after issued_at`];
  if (time < now - n.max_age_seconds) return [null, `collateral in USD and the price of ${shown} is older than ${n.max_age_seconds} s`];
  if (!(n.min_sources <= n.kept && n.kept <= n.sources)) {
    return [null, `collateral in USD and the price kept ${n.kept} of ${n.sources} sources (at least ${n.min_sources} required)`];
  }
  return [int(at(price, "price_e8")), null];
}

// `value` when the member can publish it (under 10**78), else null and a reason.
function inRange(label, value, reasons) {
  if (value === null || value < AMOUNT_LIMIT) return value;
  reasons.push(`${label} beyond 78 digits (${digits(value)}): not a credible reading`);
  return null;
}

// Values, ratio, state, reasons and penalty of one entry (legs and previous_state as listed) at `issued`.
export function derive(entry, issued, t, price) {
  const ob = at(entry, "obligation");
  const col = at(entry, "collateral");
  if (at(ob, "asset") !== "BTC") throw new Problem(`provider ${pyStr(at(entry, "name"))}: an obligation is BTC, not ${pyStr(at(ob, "asset"))}`);
  const reasons = [...legReasons("obligation", ob, issued), ...legReasons("collateral", col, issued)];
  let obSat = has(ob, "error") ? null : obligationSat(int(at(ob, "amount")), at(ob, "decimals"));
  const [priceE8, priceReason] = priceFor(at(col, "asset"), price, issued);
  if (priceReason) reasons.push(priceReason);
  let colSat = null;
  if (!has(col, "error") && (at(col, "asset") === "BTC" || priceE8 !== null)) {
    colSat = collateralSat(int(at(col, "amount")), at(col, "decimals"), at(col, "asset"), priceE8);
  }
  obSat = inRange("obligation", obSat, reasons);
  colSat = inRange("collateral", colSat, reasons);
  const unknown = { obligation_sat: obSat, collateral_sat: colSat, ratio_bp: null, state: UNKNOWN, reasons, penalty_sat: null };
  if (reasons.length || obSat === null || colSat === null) return unknown;
  const ratio = inRange("ratio", ratioBp(colSat, obSat), reasons);
  if (reasons.length) return unknown;
  const [state, why] = level(ratio, t, at(entry, "previous_state"));
  const penalty = state === "liquidatable" ? penaltySat(obSat, t.penalty_bp) : null;
  return { obligation_sat: obSat, collateral_sat: colSat, ratio_bp: ratio, state, reasons: why, penalty_sat: penalty };
}

// The entry's derived members as the document lists them (amounts as decimal strings).
export function derivedJson(d) {
  const text = (v) => (v === null ? null : String(v));
  return {
    obligation_sat: text(d.obligation_sat),
    collateral_sat: text(d.collateral_sat),
    ratio_bp: text(d.ratio_bp),
    state: d.state,
    reasons: d.reasons,
    penalty_sat: text(d.penalty_sat),
  };
}

// Python's == between a document's value and the rule's (a string, null or a list of strings).
function same(got, want) {
  if (want === null) return got === null || got === undefined;
  if (Array.isArray(want)) return Array.isArray(got) && got.length === want.length && got.every((x, k) => x === want[k]);
  return got === want;
}

function entryProblems(e, issued, t, price) {
  const want = derivedJson(derive(e, issued, t, price));
  const problems = [];
  for (const [key, value] of Object.entries(want)) {
    const got = get(e, key);
    if (!same(got, value)) problems.push(`provider ${pyStr(at(e, "name"))}: ${key} ${pyRepr(got)} but the rule gives ${pyRepr(value)}`);
  }
  return problems;
}

// Python's string order: by code point (not UTF-16 code units, as Array.prototype.sort has it).
function codePointOrder(a, b) {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done || q.done) return p.done === q.done ? 0 : p.done ? -1 : 1;
    const d = p.value.codePointAt(0) - q.value.codePointAt(0);
    if (d !== 0) return d;
  }
}

// names == sorted(set(names))
function sortedUnique(names) {
  if (names.some((n) => typeof n !== "string")) throw new PyError("TypeError", "provider names must be strings");
  return names.every((n, k) => k === 0 || codePointOrder(names[k - 1], n) < 0);
}

// The `providers` check: [] when every entry is what the rule gives (and when the member is null).
export function checkProviders(doc) {
  const member = get(doc, "providers");
  if (member === null) return [];
  try {
    const t = readThresholds(member);
    const issued = parseTimestamp(at(doc, "issued_at"));
    const entries = list(at(member, "entries"));
    const problems = sortedUnique(entries.map((e) => at(e, "name"))) ? [] : ["providers.entries: names not sorted and unique"];
    for (const e of entries) problems.push(...entryProblems(e, issued, t, at(member, "price")));
    return problems;
  } catch (exc) {
    const detail = exc instanceof Problem ? exc.detail : `${exc.name || "Error"}: ${exc.message}`;
    return [cut(`providers: cannot be re-derived (${detail})`, MAX_DETAIL)];
  }
}

// name -> state of a document's providers (empty when the member is null or absent).
export function providerStates(doc) {
  const member = get(doc, "providers");
  return member === null ? new Map() : new Map(list(at(member, "entries")).map((e) => [at(e, "name"), at(e, "state")]));
}

// chain.providers for `b` just after `a`: each previous_state is the provider's state in `a` (null when new).
export function chainProviders(a, b) {
  const member = get(b, "providers");
  if (member === null) return [[], []];
  const before = providerStates(a);
  const problems = [];
  for (const e of list(at(member, "entries"))) {
    const name = at(e, "name");
    const was = before.has(name) ? before.get(name) : null;
    const said = at(e, "previous_state");
    if (said !== was) {
      problems.push(`sequence ${pyStr(b.sequence)}: provider ${pyStr(name)} previous_state ${pyStr(said)} but sequence ${pyStr(a.sequence)} has ${pyStr(was)}`);
    }
  }
  return [problems, []];
}
