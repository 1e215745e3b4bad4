// The JavaScript user-defined function host of the local Stream Analytics engine
// (streaming/engine/javascript.py starts one per query, as a long-lived `node` child process).
//
// Protocol: one JSON document per line on stdin, one answer per line on stdout.
//   {"define": name, "source": text}            -> {"ok": true} | {"error": message}
//   {"call": name, "rows": [[arg, ...], ...]}   -> {"results": [value, ...]} | {"error": message, "row": i}
//   {"aggregate": name, "groups": [[[value, timestamp], ...], ...]} -> the same, one result per group
//     (a user-defined aggregate: new main(), init(), accumulate(value, timestamp) per event, computeResult())
// Values cross as JSON with two markers: {"$date": ISO-8601} is a Date, {"$float": "NaN"|"Infinity"|
// "-Infinity"} a non-finite number. The type mapping is the one of "JavaScript user-defined functions in
// Azure Stream Analytics" (Stream Analytics and JavaScript type conversion): bigint and float -> Number,
// datetime -> Date (milliseconds), nvarchar(max) -> String, record -> Object, array -> Array, NULL ->
// null; back: Number, Date, String, Object, Array, null/undefined -> NULL; booleans pass as bit; any
// other type (a function, a symbol, an Error, ...) is a runtime error naming the row.
"use strict";

const readline = require("readline");
const vm = require("vm");

const functions = new Map();

function toJavaScript(value) {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(toJavaScript);
  if (Object.keys(value).length === 1 && typeof value.$date === "string") return new Date(value.$date);
  if (Object.keys(value).length === 1 && typeof value.$float === "string") return Number(value.$float);
  const out = {};
  for (const [key, item] of Object.entries(value)) out[key] = toJavaScript(item);
  return out;
}

function tag(value) {
  return Object.prototype.toString.call(value);
}

function fromJavaScript(value, path) {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : { $float: String(value) };
    case "object":
      // the function runs in its own context (another realm): test types by their tag, not instanceof
      if (tag(value) === "[object Date]") {
        if (Number.isNaN(value.getTime())) throw new TypeError(`${path} is an invalid Date`);
        return { $date: value.toISOString() };
      }
      if (Array.isArray(value)) return value.map((item, i) => fromJavaScript(item, `${path}[${i}]`));
      if (tag(value) === "[object Error]") throw new TypeError(`${path} is an Error, not a Stream Analytics value`);
      {
        const out = {};
        for (const [key, item] of Object.entries(value)) out[key] = fromJavaScript(item, `${path}.${key}`);
        return out;
      }
    default:
      throw new TypeError(`${path} is a ${typeof value}, not a Stream Analytics value`);
  }
}

function define(name, source) {
  // The function's file holds one function definition (`function main(x) { ... }`): it is read as an
  // expression, as the portal's function editor does with its definition.
  const context = vm.createContext({});
  const made = vm.runInContext(`(${source}\n)`, context, { filename: `${name}.js` });
  if (typeof made !== "function") throw new TypeError(`${name}.js does not define a function`);
  functions.set(name, made);
}

function call(name, rows) {
  const fn = functions.get(name);
  if (fn === undefined) return { error: `unknown function ${name}`, row: null };
  const results = [];
  for (let i = 0; i < rows.length; i++) {
    try {
      results.push(fromJavaScript(fn(...rows[i].map(toJavaScript)), "the result"));
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return { error: message, row: i };
    }
  }
  return { results };
}

function aggregate(name, groups) {
  const Aggregate = functions.get(name);
  if (Aggregate === undefined) return { error: `unknown aggregate ${name}`, row: null };
  const results = [];
  for (let i = 0; i < groups.length; i++) {
    try {
      const state = new Aggregate();
      state.init();
      for (const [value, timestamp] of groups[i]) state.accumulate(toJavaScript(value), toJavaScript(timestamp));
      results.push(fromJavaScript(state.computeResult(), "the result"));
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return { error: message, row: i };
    }
  }
  return { results };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    if (request.define !== undefined) {
      define(request.define, request.source);
      answer = { ok: true };
    } else if (request.aggregate !== undefined) {
      answer = aggregate(request.aggregate, request.groups);
    } else {
      answer = call(request.call, request.rows);
    }
  } catch (err) {
    answer = { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), row: null };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
