/** The machine a benchmark ran on, and how busy it was meanwhile. Linux only (/proc/stat). */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  kubernetes: string;
}

export function describeMachine(kubernetes: string): Machine {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    kubernetes,
  };
}

/** Jiffies of all CPUs from the first line of /proc/stat. */
interface CpuSample {
  busy: number;
  total: number;
}

function sampleCpu(): CpuSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // Fields: user nice system idle iowait irq softirq steal; idle and iowait count as not busy.
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** Machine load over a span: the busy share of all cores and the load averages at its end. */
export interface Load {
  busyPercent: number;
  loadAverage: number[];
}

export class LoadMeter {
  private readonly start = sampleCpu();

  read(): Load {
    const end = sampleCpu();
    const total = end.total - this.start.total;
    return {
      busyPercent: total > 0 ? Math.round(((end.busy - this.start.busy) / total) * 1000) / 10 : 0,
      loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    };
  }
}
