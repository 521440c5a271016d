// The jobspec's file-system functions: available to the local `convert` as to the Nomad CLI
// (relative paths from the working directory, `~`, absolute paths), never to the HTTP API's
// /v1/jobs/parse, which answers Nomad's "filesystem function disabled" error.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileFunctionsBaseDir, loadJob } from '../../../../src/cli/convert.ts';
import { parseJobspec } from '../../../../src/nomad/hcl/jobspec.ts';
import { testApi } from '../../api/support.ts';

const dir = mkdtempSync(join(tmpdir(), 'jobspec-files-'));
mkdirSync(join(dir, 'conf', 'nested'), { recursive: true });
writeFileSync(join(dir, 'conf', 'app.conf'), 'listen 8080;\n');
writeFileSync(join(dir, 'conf', 'nested', 'extra.conf'), 'x');
writeFileSync(join(dir, 'conf', 'logo.bin'), Buffer.from([0xff, 0x00, 0xfe]));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A job whose meta holds `expressions`, and a template whose data is `file(...)`. */
function jobspec(meta: string, template = 'file("conf/app.conf")'): string {
  return `job "files" {
  meta = ${meta}
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image = "nginx:1.27"
      }
      template {
        data        = ${template}
        destination = "local/app.conf"
      }
    }
  }
}
`;
}

describe('file functions with file access (the local convert)', () => {
  it('read, test, list and name files relative to the base directory', async () => {
    const result = await parseJobspec({
      hcl: jobspec(`{
    b64    = filebase64("conf/logo.bin")
    exists = fileexists("conf/app.conf")
    absent = fileexists("conf/none.conf")
    set    = join(",", fileset("conf", "**/*.conf"))
    abs    = abspath("${dir}/conf/../conf/app.conf")
    base   = basename("conf/app.conf")
  }`),
      files: { baseDir: dir },
    });
    expect(result.ok, result.ok ? '' : result.error).toBe(true);
    if (!result.ok) return;
    expect(result.job.Meta).toEqual({
      b64: '/wD+',
      exists: 'true',
      absent: 'false',
      set: 'app.conf,nested/extra.conf',
      abs: `${dir}/conf/app.conf`,
      base: 'app.conf',
    });
    const [group] = result.job.TaskGroups as { Tasks: { Templates: { EmbeddedTmpl: string }[] }[] }[];
    expect(group?.Tasks[0]?.Templates[0]?.EmbeddedTmpl).toBe('listen 8080;\n');
  });

  it('report a missing file and binary text as Nomad does', async () => {
    const missing = await parseJobspec({
      hcl: jobspec('{}', 'file("conf/none.conf")'),
      files: { baseDir: dir },
    });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toContain(`no file exists at ${dir}/conf/none.conf`);
    const binary = await parseJobspec({
      hcl: jobspec('{}', 'file("conf/logo.bin")'),
      files: { baseDir: dir },
    });
    expect(binary.ok).toBe(false);
    if (!binary.ok) expect(binary.error).toContain('contents of conf/logo.bin are not valid UTF-8');
  });

  it('convert resolves them from the working directory, as the Nomad CLI does', async () => {
    expect(fileFunctionsBaseDir()).toBe(process.cwd());
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const loaded = await loadJob({ text: jobspec('{}'), path: join(dir, 'files.nomad.hcl') });
      expect(loaded.ok, JSON.stringify(loaded)).toBe(true);
      if (loaded.ok) {
        expect(loaded.job.TaskGroups?.[0]?.Tasks?.[0]?.Templates?.[0]?.EmbeddedTmpl).toBe('listen 8080;\n');
      }
    } finally {
      process.chdir(previous);
    }
  });
});

describe('file functions without file access', () => {
  it('are disabled by default', async () => {
    const result = await parseJobspec({ hcl: jobspec('{}'), files: undefined });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error).toContain('Call to function "file" failed: filesystem function disabled.');
  });

  it('are refused by /v1/jobs/parse with Nomad’s message', async () => {
    const { app } = await testApi();
    for (const call of ['file("conf/app.conf")', 'fileexists("/etc/passwd")', 'fileset("/", "*")']) {
      const reply = await app.inject({
        method: 'POST',
        url: '/v1/jobs/parse',
        payload: JSON.stringify({ JobHCL: jobspec(`{ x = ${call} }`, '"static"') }),
      });
      expect(reply.statusCode).toBe(400);
      const name = call.slice(0, call.indexOf('('));
      expect(reply.body).toContain(
        `Failed to parse job: input.hcl:2,16-${17 + name.length}: Error in function call; Call to function "${name}" failed: filesystem function disabled.`,
      );
    }
  });

  it('templatefile is not a Nomad jobspec function at all', async () => {
    const result = await parseJobspec({
      hcl: jobspec('{}', 'templatefile("conf/app.conf", {})'),
      files: { baseDir: dir },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('There is no function named "templatefile".');
  });
});
