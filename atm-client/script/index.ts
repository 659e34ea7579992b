/**
 * ATM scripts: a small line-based language for testers. `parseScript` is a pure function
 * from text to steps with line numbers (or every syntax error); `runScript` drives a
 * BankConnector through the steps and reports one line per step and a summary.
 * @packageDocumentation
 */

/** The AST. */
export type { Script, ScriptStep, ScriptSyntaxError, Statement, StatementKind } from './ast.js';
/** Text → steps, or every syntax error with its line. */
export { type ParseResult, parseScript, SCRIPT_COMMANDS, SCRIPT_USAGE, SECRET_MASK } from './parse-script.js';
/** Steps → a run against the bank, one line per step, then `N passed, M failed`. */
export { type ConnectTarget, runScript, type ScriptReport, type ScriptRunDeps, summaryLine } from './run-script.js';
/** RUN_ID and the environment as script variables. */
export { newRunId, scriptVariables } from './script-variables.js';
