/**
 * The metric names and label names a PromQL expression uses, for checking dashboards and alert
 * rules against what `/metrics` really exposes. A tokenizer, not an evaluator: it knows strings,
 * numbers and durations, Grafana variables, function calls, label matchers and grouping clauses,
 * which is all that tells a metric name from a function, keyword or label.
 */

export interface Selector {
  readonly metric: string;
  /** Label names of its matchers (`{pipeline_id=~"$pipeline"}`). */
  readonly labels: readonly string[];
}

export interface ExpressionNames {
  readonly selectors: readonly Selector[];
  /** Labels of `by`, `without`, `on`, `ignoring`, `group_left` and `group_right` clauses. */
  readonly groupingLabels: readonly string[];
}

type Token = { readonly kind: 'ident' | 'string' | 'number' | 'variable' | 'punct'; readonly text: string };

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  const patterns: [Token['kind'] | 'space' | 'comment', RegExp][] = [
    ['space', /^\s+/],
    ['comment', /^#[^\n]*/],
    ['string', /^"(?:[^"\\]|\\.)*"|^'(?:[^'\\]|\\.)*'|^`[^`]*`/],
    ['variable', /^\$\{[^}]+\}|^\$[A-Za-z_][A-Za-z0-9_]*/],
    ['number', /^(?:0x[0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])?(?:\d+(?:ms|[smhdwy]))*)/],
    // Not starting with ':', which begins the step of a subquery (`[10m:1m]`).
    ['ident', /^[A-Za-z_][A-Za-z0-9_:]*/],
    ['punct', /^(?:=~|!~|!=|==|>=|<=|[-+*/%^(){}[\],=<>@:])/],
  ];
  let rest = expr;
  while (rest.length > 0) {
    const match = patterns
      .map(([kind, pattern]) => ({ kind, found: pattern.exec(rest)?.[0] }))
      .find(({ found }) => found !== undefined && found.length > 0);
    if (match?.found === undefined) throw new Error(`cannot read PromQL at: ${rest.slice(0, 30)}`);
    if (match.kind !== 'space' && match.kind !== 'comment') tokens.push({ kind: match.kind, text: match.found });
    rest = rest.slice(match.found.length);
  }
  return tokens;
}

/** The label names of a `{...}` matcher list starting at `start` (the `{`), and the index past its `}`. */
function matchers(tokens: readonly Token[], start: number): { labels: string[]; end: number } {
  const labels: string[] = [];
  let index = start + 1;
  while (index < tokens.length && tokens[index]?.text !== '}') {
    const token = tokens[index];
    if (token?.kind === 'ident' && ['=', '!=', '=~', '!~'].includes(tokens[index + 1]?.text ?? '')) labels.push(token.text);
    index += 1;
  }
  return { labels, end: index + 1 };
}

export function namesOf(expr: string): ExpressionNames {
  const tokens = tokenize(expr);
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  for (let index = 0; index < tokens.length;) {
    const token = tokens[index];
    const next = tokens[index + 1];
    if (token === undefined) break;
    if (token.kind === 'punct' && token.text === '{') {
      // A selector by matchers alone (`{job="x"}`): no metric name to check, which the caller refuses.
      const { labels, end } = matchers(tokens, index);
      selectors.push({ metric: '', labels });
      index = end;
      continue;
    }
    if (token.kind !== 'ident') {
      index += 1;
      continue;
    }
    if (GROUPING.has(token.text)) {
      index += 1;
      if (tokens[index]?.text === '(') {
        for (index += 1; index < tokens.length && tokens[index]?.text !== ')'; index += 1) {
          const label = tokens[index];
          if (label?.kind === 'ident') groupingLabels.push(label.text);
        }
        index += 1;
      }
      continue;
    }
    // A function, or an aggregation written with its grouping first (`sum by (le) (...)`).
    if (KEYWORDS.has(token.text.toLowerCase()) || next?.text === '(' || next?.text === 'by' || next?.text === 'without') {
      index += 1;
      continue;
    }
    if (next?.text === '{') {
      const { labels, end } = matchers(tokens, index + 1);
      selectors.push({ metric: token.text, labels });
      index = end;
      continue;
    }
    selectors.push({ metric: token.text, labels: [] });
    index += 1;
  }
  return { selectors, groupingLabels };
}

/** Labels a Grafana legend (`{{pipeline_id}}`) or an alert template (`{{ $labels.pipeline_id }}`) prints. */
export const templateLabels = (text: string): string[] =>
  [...text.matchAll(/\{\{\s*(?:\$labels\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)]
    .map((match) => match[1] ?? '')
    .filter((label) => label !== '' && label !== 'value');
