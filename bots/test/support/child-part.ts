import { spawn, type ChildProcess } from 'node:child_process';

const ROOT = new URL('../../../', import.meta.url).pathname;

/**
 * One Simpul part run as a child process, so a test can kill it with SIGKILL (no cleanup, no
 * graceful close, exactly like a crash or an OOM kill) and start it again.
 */
export class ChildPart {
  readonly name: string;
  readonly #args: string[];
  readonly #env: NodeJS.ProcessEnv;
  readonly #ready: RegExp;
  #child: ChildProcess | undefined;
  /** The last lines the child wrote, for a failure message. */
  readonly output: string[] = [];
  starts = 0;

  constructor(name: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp) {
    this.name = name;
    this.#args = args;
    this.#env = env;
    this.#ready = ready;
  }

  /** Starts it and waits until it prints its ready line. */
  start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, this.#args, { cwd: ROOT, env: { ...process.env, ...this.#env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.starts++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output.slice(-20).join('\n')}`)), timeoutMs);
      let ready = false;
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line) continue;
          this.output.push(`[${this.name}#${this.starts}] ${line.slice(0, 500)}`);
          if (this.output.length > 200) this.output.shift();
          if (!ready && this.#ready.test(line)) {
            ready = true;
            clearTimeout(timer);
            resolve();
          }
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`${this.name} exited (${code ?? signal}) before it was ready:\n${this.output.slice(-20).join('\n')}`));
        }
      });
    });
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGTERM (graceful), and wait until it is gone. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
