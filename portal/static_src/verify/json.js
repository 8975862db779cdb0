// Strict JSON text -> values, the domain rules and RFC 8785 (JCS) bytes, as reserves/attestation/canonical.py.
//
// JSON.parse is not enough: it keeps the last of two duplicate keys, turns 1.0 into 1 and rounds
// integers beyond 2**53 silently. This parser refuses duplicates and keeps what the domain check
// must see (floats, unsafe integers, lone surrogates) so the verdict matches `reserves verify`.

export const MAX_PARSE_DEPTH = 256; // canonical.MAX_PARSE_DEPTH
export const MAX_DEPTH = 64; // canonical.MAX_DEPTH
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export class JsonError extends Error {
  constructor(detail) {
    super(detail);
    this.detail = detail;
  }
}

// A number the format never holds, kept so that the domain check can name it.
export class Unsafe {
  constructor(text, kind) {
    this.text = text;
    this.kind = kind; // "float" or "int"
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

export function parseJson(text) {
  let i = 0;
  const fail = (what) => {
    throw new JsonError(`not valid JSON: ${what} at character ${i}`);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const string = () => {
    i++; // the opening quote
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c < " ") fail("control character in string");
      if (c !== "\\") {
        out += c;
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e in ESCAPES) {
        out += ESCAPES[e];
        i += 2;
      } else fail("bad escape");
    }
  };
  const value = (depth) => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      if (depth + 1 > MAX_PARSE_DEPTH) throw new JsonError(`JSON nested too deeply (more than ${MAX_PARSE_DEPTH} levels)`);
      i++;
      ws();
      if (c === "[") {
        const arr = [];
        if (text[i] === "]") return i++, arr;
        for (;;) {
          arr.push(value(depth + 1));
          ws();
          if (text[i] === ",") i++;
          else if (text[i] === "]") return i++, arr;
          else fail("expected , or ]");
        }
      }
      const obj = {};
      if (text[i] === "}") return i++, obj;
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const key = string();
        ws();
        if (text[i] !== ":") fail("expected :");
        i++;
        // Parsers disagree on which duplicate wins; a signed document must mean one thing.
        if (Object.prototype.hasOwnProperty.call(obj, key)) throw new JsonError("not valid JSON: duplicate object key");
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return i++, obj;
        else fail("expected , or }");
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) return (i += 4), true;
    if (text.startsWith("false", i)) return (i += 5), false;
    if (text.startsWith("null", i)) return (i += 4), null;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail("unexpected character");
    i += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return new Unsafe(m[0], "float");
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? n : new Unsafe(m[0], "int");
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail("extra data");
  return result;
}

// canonical.check_domain: the first problem, or null.
export function domainProblem(v, path = "$", depth = 0) {
  if (depth > MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
  if (v instanceof Unsafe) {
    return v.kind === "float"
      ? `${path}: floats are not allowed; amounts are decimal strings`
      : `${path}: integer outside the JSON-safe range; amounts are decimal strings`;
  }
  if (typeof v === "string") return LONE_SURROGATE.test(v) ? `${path}: string is not valid Unicode` : null;
  if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) {
      const p = domainProblem(v[k], `${path}[${k}]`, depth + 1);
      if (p) return p;
    }
    return null;
  }
  if (v !== null && typeof v === "object") {
    for (const [key, item] of Object.entries(v)) {
      if (LONE_SURROGATE.test(key)) return `${path}: string is not valid Unicode`;
      const p = domainProblem(item, `${path}.${key.slice(0, 40)}`, depth + 1);
      if (p) return p;
    }
  }
  return null;
}

// RFC 8785 of a domain-checked value: integers only (so ECMAScript's number form is JCS's), strings
// escaped as JSON.stringify does (JCS's rules), object keys sorted by UTF-16 code units.
export function jcs(v) {
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new JsonError("cannot canonicalise a non-integer number");
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  if (typeof v === "object" && !(v instanceof Unsafe)) {
    const keys = Object.keys(v).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
  }
  throw new JsonError("cannot canonicalise this value");
}

// The body: the document without its `signatures` member.
export function bodyOf(document) {
  const body = {};
  for (const [k, v] of Object.entries(document)) {
    if (k !== "signatures") Object.defineProperty(body, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return body;
}
