// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolations are literal "${…}" text
import { describe, expect, it } from 'vitest';
import {
  cpuMillicores,
  deviceResourceName,
  mebibytes,
  millicores,
  taskResources,
} from '../../../src/translate/resources.ts';
import {
  container,
  contextOf,
  corpusJob,
  messagesAt,
  one,
  podSpecOf,
  run,
  simpleJob,
} from './workload-support.ts';

function resourcesOf(
  resources: Record<string, unknown>,
  config: Record<string, unknown> = {},
  ratio?: number,
) {
  const job = simpleJob('service', { Resources: resources, Config: { image: 'x:1', ...config } });
  const ctx = contextOf(job, 0, ratio === undefined ? {} : { millicoresPerMHz: ratio });
  const task = job.TaskGroups?.[0]?.Tasks?.[0] ?? {};
  return { result: taskResources(ctx, task, 0), warnings: ctx.warnings };
}

describe('quantities', () => {
  it('writes memory and CPU in the canonical form the apiserver stores', () => {
    expect(mebibytes(256)).toBe('256Mi');
    expect(mebibytes(1024)).toBe('1Gi');
    expect(mebibytes(1536)).toBe('1536Mi');
    expect(mebibytes(2 * 1024 * 1024)).toBe('2Ti');
    expect(millicores(500)).toBe('500m');
    expect(millicores(2000)).toBe('2');
    expect(millicores(1500)).toBe('1500m');
  });

  it('converts MHz through the ratio, never to zero', () => {
    expect(cpuMillicores(100, 1)).toBe(100);
    expect(cpuMillicores(1000, 1)).toBe(1000);
    expect(cpuMillicores(500, 2.5)).toBe(1250);
    expect(cpuMillicores(1, 0.1)).toBe(1);
  });

  it('maps Nomad GPU device names to nvidia.com/gpu only', () => {
    expect(deviceResourceName('nvidia/gpu')).toEqual({ resource: 'nvidia.com/gpu' });
    expect(deviceResourceName('gpu')).toEqual({ resource: 'nvidia.com/gpu' });
    expect(deviceResourceName('nvidia/gpu/Tesla V100')).toEqual({
      resource: 'nvidia.com/gpu',
      model: 'Tesla V100',
    });
    expect(deviceResourceName('intel/fpga')).toBeUndefined();
    expect(deviceResourceName('amd/gpu')).toBeUndefined();
  });
});

describe('taskResources', () => {
  it('MHz → requests.cpu (default 1m per MHz), memory → requests and limits, no CPU limit', () => {
    const { result, warnings } = resourcesOf({ CPU: 500, MemoryMB: 256 });
    expect(result).toEqual({ requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '256Mi' } });
    expect(warnings).toEqual([]);
  });

  it('applies millicoresPerMHz', () => {
    expect(resourcesOf({ CPU: 1000, MemoryMB: 64 }, {}, 0.5).result?.requests?.cpu).toBe('500m');
    expect(resourcesOf({ CPU: 1000, MemoryMB: 64 }, {}, 2).result?.requests?.cpu).toBe('2');
  });

  it('cores → whole CPUs as requests and limits', () => {
    const { result } = resourcesOf({ Cores: 4, MemoryMB: 8192 });
    expect(result?.requests).toEqual({ cpu: '4', memory: '8Gi' });
    expect(result?.limits).toEqual({ cpu: '4', memory: '8Gi' });
  });

  it('memory_max → limits.memory above the request', () => {
    const { result } = resourcesOf({ CPU: 100, MemoryMB: 512, MemoryMaxMB: 2048 });
    expect(result?.requests?.memory).toBe('512Mi');
    expect(result?.limits?.memory).toBe('2Gi');
  });

  it('docker cpu_hard_limit and memory_hard_limit set limits', () => {
    const { result } = resourcesOf(
      { CPU: 250, MemoryMB: 128 },
      { cpu_hard_limit: true, memory_hard_limit: 512 },
    );
    expect(result?.limits).toEqual({ cpu: '250m', memory: '512Mi' });
  });

  it('nvidia/gpu → limits nvidia.com/gpu; other devices, constraints and models are warnings', () => {
    const { result, warnings } = resourcesOf({
      CPU: 100,
      MemoryMB: 64,
      Devices: [
        {
          Name: 'nvidia/gpu',
          Count: 2,
          Constraints: [{ LTarget: '${device.attr.memory}', RTarget: '16 GiB', Operand: '>=' }],
        },
        { Name: 'nvidia/gpu/A100', Count: 1 },
        { Name: 'intel/fpga' },
      ],
    });
    expect(result?.limits?.['nvidia.com/gpu']).toBe('3');
    expect(result?.requests?.['nvidia.com/gpu']).toBeUndefined();
    const base = 'TaskGroups[0].Tasks[0].Resources.Devices';
    expect(messagesAt(warnings, `${base}[0].Constraints`)).toHaveLength(1);
    expect(messagesAt(warnings, `${base}[1].Name`)[0]).toContain('"A100"');
    expect(messagesAt(warnings, `${base}[2]`)[0]).toContain('"intel/fpga"');
  });

  it('reports NUMA devices as well as a NUMA affinity', () => {
    const { warnings } = resourcesOf({
      CPU: 100,
      MemoryMB: 64,
      Devices: [{ Name: 'nvidia/gpu' }],
      NUMA: { Affinity: 'none', Devices: ['nvidia/gpu'] },
    });
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Resources.NUMA')).toEqual([
      'the numa block (devices "nvidia/gpu") is not converted: NUMA alignment is the kubelet topology manager policy of the node, not a pod setting',
    ]);
  });

  it('the resources-devices corpus job field by field', () => {
    const { objects, warnings } = run(corpusJob('resources-devices'));
    const spec = podSpecOf(one(objects, 'Job'));
    expect(container(spec, 'train').resources).toEqual({
      requests: { cpu: '4', memory: '8Gi' },
      limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '2' },
    });
    expect(container(spec, 'eval').resources).toEqual({
      requests: { cpu: '2', memory: '1Gi' },
      limits: { memory: '1Gi' },
    });
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Resources.NUMA')).toHaveLength(1);
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Resources.Devices[1]')).toHaveLength(1);
  });
});
