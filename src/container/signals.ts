/** Relaying signals that the runtime receives to the container's PID 1. */
import { libc } from "../../ffi/libc.ts";
import type { Libc } from "../../ffi/libc.ts";
import { Logger } from "../log.ts";

/**
 * Signals the runtime relays, as docker's signal proxy does. SIGUSR1 is not
 * among them: `disableInspectorSignal` makes every tscontainer process
 * ignore it.
 */
export const FORWARDED_SIGNALS: Deno.Signal[] = [
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGHUP",
  "SIGUSR2",
];

const SIGUSR1 = 10;

/**
 * Makes this process ignore SIGUSR1. Since version 2.9.2, Deno starts its V8
 * inspector on 127.0.0.1:9229 when it receives SIGUSR1, 500 ms or more after
 * start, and any local user who connects to it could run code as root.
 *
 * NOTE: Deno installs that handler through the same registry as
 * `Deno.addSignalListener`, which calls sigaction(2) only for the first
 * listener of a signal. So a listener is registered first, and the kernel
 * disposition is then set to SIG_IGN, which the later inspector registration
 * leaves in place. A test checks that no inspector starts.
 */
export function disableInspectorSignal(sys: Libc = libc): void {
  Deno.addSignalListener("SIGUSR1", () => {});
  sys.ignoreSignal(SIGUSR1);
}

/**
 * Relays signals to a child process until the returned function is called.
 * Signals that arrive before the child exists are relayed once it does.
 *
 * NOTE: on a terminal, Ctrl-C and Ctrl-\ send SIGINT and SIGQUIT to the whole
 * foreground process group, which includes the container. Relaying them too
 * would deliver them twice, so they are relayed only when stdin is not a
 * terminal. The runtime still catches them, so that it never exits before
 * the container has been torn down.
 */
export class SignalRelay {
  private child?: Deno.ChildProcess;
  private readonly pending: Deno.Signal[] = [];
  private readonly handlers = new Map<Deno.Signal, () => void>();

  private readonly log = new Logger("signals");

  constructor(private readonly fromTerminal = Deno.stdin.isTerminal()) {
    for (const signal of FORWARDED_SIGNALS) {
      const handler = () => this.relay(signal);
      this.handlers.set(signal, handler);
      Deno.addSignalListener(signal, handler);
    }
  }

  /** Sets the process that receives signals, and sends it any pending ones. */
  attach(child: Deno.ChildProcess): void {
    this.child = child;
    for (const signal of this.pending.splice(0)) this.relay(signal);
  }

  private relay(signal: Deno.Signal): void {
    const terminalSignal = signal === "SIGINT" || signal === "SIGQUIT";
    if (terminalSignal && this.fromTerminal) return;
    if (!this.child) {
      this.pending.push(signal);
      return;
    }
    this.log.debug("relay signal", { signal, pid: this.child.pid });
    try {
      this.child.kill(signal);
    } catch (error) {
      // The container may have exited between the signal and the relay.
      this.log.debug("relay signal failed", { signal, error });
    }
  }

  /** Removes the signal listeners. */
  close(): void {
    for (const [signal, handler] of this.handlers) {
      Deno.removeSignalListener(signal, handler);
    }
    this.handlers.clear();
  }
}
