// Static template rendering and env file reading (src/translate/template-render.ts): actions with Go's
// trim markers and comments, `{{ env "X" }}` with known values, the lines no action changes, and
// go-envparse's rules for `env = true` files with Nomad's error messages.
import { describe, expect, it } from 'vitest';
import {
  certainLines,
  envActionName,
  envNamesWritten,
  parseEnvFile,
  parseEnvLines,
  renderKnownEnv,
  templateActions,
} from '../../../src/translate/template-render.ts';

const known: Record<string, string> = {
  NOMAD_JOB_NAME: 'backup-once',
  NOMAD_ALLOC_DIR: '/alloc',
  NOMAD_PORT_http: '9080',
  EMPTY: '',
};
const lookup = (name: string) => known[name];

function vars(text: string): Record<string, string> {
  const parsed = parseEnvFile(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return Object.fromEntries(parsed.vars);
}

function error(text: string): string {
  const parsed = parseEnvFile(text);
  return parsed.ok ? 'parsed' : parsed.message;
}

describe('templateActions', () => {
  it('finds actions, trim markers and comments', () => {
    const text = 'a {{ env "X" }} b {{- .y -}} c {{/* note }} */}} d {{- /* x */ -}} e';
    expect(
      templateActions(text)?.map(({ body, trimLeft, trimRight, comment }) => [
        body,
        trimLeft,
        trimRight,
        comment,
      ]),
    ).toEqual([
      ['env "X"', false, false, false],
      ['.y', true, true, false],
      ['/* note }} */', false, false, true],
      ['/* x */', true, true, true],
    ]);
  });

  it('needs a space next to the dash for a trim marker', () => {
    expect(templateActions('{{-3}}')?.[0]).toMatchObject({ body: '-3', trimLeft: false });
    expect(templateActions('{{ 3 -}}')?.[0]).toMatchObject({ body: '3', trimRight: true });
    expect(templateActions('{{ x-}}')?.[0]).toMatchObject({ body: 'x-', trimRight: false });
  });

  it('skips delimiters inside strings and honours custom delimiters', () => {
    expect(templateActions('{{ env "a}}b" }}!')?.[0]?.body).toBe('env "a}}b"');
    expect(templateActions('{{ printf `}}` }}')?.[0]?.body).toBe('printf `}}`');
    expect(templateActions('{{ x }} [[ env "Y" ]]', '[[', ']]')?.map((a) => a.body)).toEqual(['env "Y"']);
  });

  it('gives up on text that does not lex', () => {
    expect(templateActions('{{ env "X" ')).toBeUndefined();
    expect(templateActions('{{ "open }}')).toBeUndefined();
    expect(templateActions('{{/* never closed }}')).toBeUndefined();
    expect(templateActions('{{/* c */ x }}')).toBeUndefined();
    expect(templateActions('no actions')).toEqual([]);
  });
});

describe('envActionName', () => {
  it('reads plain env actions only', () => {
    expect(envActionName('env "NOMAD_TASK_DIR"')).toBe('NOMAD_TASK_DIR');
    expect(envActionName('env `RAW`')).toBe('RAW');
    expect(envActionName('env "A\\u0042"')).toBe('AB');
    expect(envActionName('env "X" | toUpper')).toBeUndefined();
    expect(envActionName('envOrDefault "X" "y"')).toBeUndefined();
    expect(envActionName('env "\\x41"')).toBeUndefined();
  });
});

describe('renderKnownEnv', () => {
  it('renders env actions of known values, as consul-template prints strings', () => {
    const text =
      'echo "backing up {{ env "NOMAD_JOB_NAME" }}"\ntar czf {{ env "NOMAD_ALLOC_DIR" }}/data.tgz\n';
    expect(renderKnownEnv(text, lookup)).toEqual({
      text: 'echo "backing up backup-once"\ntar czf /alloc/data.tgz\n',
      complete: true,
      malformed: false,
      unknownEnv: [],
    });
  });

  it('applies the trim markers of rendered actions and drops comments', () => {
    expect(renderKnownEnv('port:\n  {{- env "NOMAD_PORT_http" -}}\n;', lookup).text).toBe('port:9080;');
    expect(renderKnownEnv('a {{/* gone */}}b', lookup).text).toBe('a b');
    expect(renderKnownEnv('a\n{{- /* gone */ -}}\n b', lookup)).toMatchObject({ text: 'ab', complete: true });
    expect(renderKnownEnv('x={{ env "EMPTY" }};', lookup).text).toBe('x=;');
  });

  it('leaves other actions and unknown variables as written, markers included', () => {
    const text =
      'host: {{ env "node.unique.name" }}\nport: {{ env "NOMAD_PORT_http" }}\n{{- with nomadVar "x" }} {{ .a }}{{ end }}';
    const rendered = renderKnownEnv(text, lookup);
    expect(rendered).toEqual({
      // The kept action keeps its own marker (it trims when Nomad renders it), so the line break stays.
      text: 'host: {{ env "node.unique.name" }}\nport: 9080\n{{- with nomadVar "x" }} {{ .a }}{{ end }}',
      complete: false,
      malformed: false,
      unknownEnv: ['node.unique.name'],
    });
  });

  it('keeps a following segment untouched after an action left as written', () => {
    expect(renderKnownEnv('{{ .x -}}  a {{ env "NOMAD_PORT_http" }}', lookup).text).toBe('{{ .x -}}  a 9080');
  });

  it('honours custom delimiters and returns text that does not lex unchanged', () => {
    expect(renderKnownEnv('{{ x }} [[ env "NOMAD_PORT_http" ]]', lookup, '[[', ']]')).toMatchObject({
      text: '{{ x }} 9080',
      complete: true,
    });
    expect(renderKnownEnv('{{ env "NOMAD_PORT_http"', lookup)).toEqual({
      text: '{{ env "NOMAD_PORT_http"',
      complete: false,
      malformed: true,
      unknownEnv: [],
    });
  });
});

describe('certainLines', () => {
  it('keeps lines outside blocks that no action touches', () => {
    const text = [
      'RAILS_ENV=production',
      'REDIS_URL=redis://{{ range service "redis" }}{{ .Address }}{{ end }}/0',
      '{{ with nomadVar "nomad/jobs/app" -}}',
      'DATABASE_URL={{ .database_url }}',
      'STATIC_INSIDE=1',
      '{{- end }}',
      'AFTER=2',
    ].join('\n');
    expect(certainLines(text)).toEqual([
      { line: 1, text: 'RAILS_ENV=production' },
      { line: 7, text: 'AFTER=2' },
    ]);
  });

  it('drops lines a trim marker may join to an action', () => {
    expect(certainLines('A=1\n{{- .x }}\nB=2\n\n{{ .y -}}\nC=3\nD=4')).toEqual([
      { line: 3, text: 'B=2' },
      { line: 4, text: '' },
      { line: 7, text: 'D=4' },
    ]);
  });

  it('counts nested blocks and else branches', () => {
    const text = '{{ if .a }}{{ range .b }}\nX=1\n{{ end }}\nY=2\n{{ else }}\nZ=3\n{{ end }}\nW=4';
    expect(certainLines(text)).toEqual([{ line: 8, text: 'W=4' }]);
  });

  it('is every line of static text, and nothing for text that does not lex', () => {
    expect(certainLines('A=1\nB=2\n')).toEqual([
      { line: 1, text: 'A=1' },
      { line: 2, text: 'B=2' },
      { line: 3, text: '' },
    ]);
    expect(certainLines('A=1\n{{ oops')).toBeUndefined();
  });
});

describe('parseEnvFile (go-envparse)', () => {
  it('reads KEY=value lines, skipping blanks and comments', () => {
    expect(vars('# comment\n\nA=1\n  B = two words  \r\nexport C=3\n')).toEqual({
      A: '1',
      B: 'two words',
      C: '3',
    });
  });

  it('sets an empty value as empty (as go-envparse and Nomad do), and later lines win', () => {
    expect(vars('A=\nB=""\nC=1\nC=2')).toEqual({ A: '', B: '', C: '2' });
  });

  it('treats an unquoted # as a comment, dropping the spaces before it', () => {
    expect(vars('A=value   # note\nB=x#y\nC="in # quotes"\nD=\'also # kept\'')).toEqual({
      A: 'value',
      B: 'x',
      C: 'in # quotes',
      D: 'also # kept',
    });
  });

  it('unquotes double quotes with JSON escapes and single quotes literally', () => {
    expect(
      vars(
        'A="line\\nbreak \\"q\\" \\\\ \\/ \\t"\nB=\'raw \\n "x"\'\nC=a"b c"d\nD="\\u00e9\\ud83d\\ude00"\nE="\\ud800\\u0041"',
      ),
    ).toEqual({
      A: 'line\nbreak "q" \\ / \t',
      B: 'raw \\n "x"',
      C: 'ab cd',
      D: 'é😀',
      E: '\ufffd',
    });
  });

  it('keeps multibyte characters and the inner spaces of a value', () => {
    expect(vars('GREETING=grüße  an alle')).toEqual({ GREETING: 'grüße  an alle' });
  });

  it('keeps "export" as a key and accepts ., / and _ in keys', () => {
    expect(vars('export=1\n_a.b/c=2')).toEqual({ export: '1', '_a.b/c': '2' });
  });

  it("reports Nomad's errors with the line number", () => {
    expect(error('A=1\nlisten 8080;')).toBe('error on line 2: missing =');
    expect(error('=1')).toBe('error on line 1: empty key');
    expect(error('1A=1')).toBe("error on line 1: key must start with [A-Za-z_] but found '1'");
    expect(error('[x]=1')).toBe("error on line 1: key must start with [A-Za-z_] but found '['");
    expect(error('A-B=1')).toBe("error on line 1: key characters must be [A-Za-z0-9/_.] but found '-'");
    expect(error('export  A=1')).toBe("error on line 1: key must start with [A-Za-z_] but found ' '");
    expect(error('A="open')).toBe('error on line 1: unmatched "');
    expect(error("A='open")).toBe("error on line 1: unmatched '");
    expect(error('A="x\\')).toBe('error on line 1: incomplete escape sequence');
    expect(error('A="\\q"')).toBe('error on line 1: invalid escape sequence: "q"');
    expect(error('A="\\u12"')).toBe('error on line 1: incomplete hex sequence');
    expect(error('A="\\u12zz"')).toBe('error on line 1: invalid hex character: "z"');
    expect(error('A="\\ud83d"')).toBe('error on line 1: incomplete Unicode surrogate pair');
    expect(error('A=a\tb')).toBe('error on line 1: 0x09 is an invalid value character');
    expect(error(`A=${'x'.repeat(70_000)}`)).toBe('error reading: bufio.Scanner: token too long');
    expect(error(`A=1\nB=${'x'.repeat(70_000)}`)).toBe('error on line 1: bufio.Scanner: token too long');
  });
});

describe('parseEnvLines', () => {
  it('reads the given lines and names the failing one by its line in the template', () => {
    const parsed = parseEnvLines([
      { line: 1, text: 'A=1' },
      { line: 4, text: 'B=2' },
    ]);
    expect(parsed.ok && Object.fromEntries(parsed.vars)).toEqual({ A: '1', B: '2' });
    expect(parseEnvLines([{ line: 3, text: 'oops' }])).toEqual({ ok: false, line: 3, message: 'missing =' });
  });
});

describe('envNamesWritten', () => {
  it('names the KEY= at the start of lines', () => {
    expect(
      envNamesWritten('A=1\n  export B={{ .b }}\n{{ with x }}\nC={{ .c }}\n{{ end }}\nnot a line'),
    ).toEqual(['A', 'B', 'C']);
  });

  it('names a KEY= right after the actions that start its line', () => {
    expect(
      envNamesWritten(
        '{{ with nomadService "api" }}{{ with index . 0 }}API_URL=http://{{ .Address }}{{ end }}{{ end }}\n{{- /* x */ -}} B=1',
      ),
    ).toEqual(['API_URL', 'B']);
  });
});
