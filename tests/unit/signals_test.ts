import { assertEquals } from "../assert.ts";
import { FORWARDED_SIGNALS, SignalRelay } from "../../src/container/signals.ts";

/** Returns a stand-in for the init stage's process that records signals. */
function recordingChild(received: string[]): Deno.ChildProcess {
  return {
    pid: 4242,
    kill: (signal: Deno.Signal) => received.push(signal),
  } as unknown as Deno.ChildProcess;
}

function waitForSignalDelivery(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

Deno.test("SignalRelay holds signals until a child is attached", async () => {
  const received: string[] = [];
  const relay = new SignalRelay(false);
  try {
    Deno.kill(Deno.pid, "SIGHUP");
    await waitForSignalDelivery();

    assertEquals(received, []);
    relay.attach(recordingChild(received));

    assertEquals(received, ["SIGHUP"]);
  } finally {
    relay.close();
  }
});

Deno.test("SignalRelay relays to an attached child", async () => {
  const received: string[] = [];
  const relay = new SignalRelay(false);
  try {
    relay.attach(recordingChild(received));

    Deno.kill(Deno.pid, "SIGUSR2");
    await waitForSignalDelivery();

    assertEquals(received, ["SIGUSR2"]);
  } finally {
    relay.close();
  }
});

Deno.test("SignalRelay leaves terminal signals to the terminal", async () => {
  const received: string[] = [];
  const relay = new SignalRelay(true);
  try {
    relay.attach(recordingChild(received));

    Deno.kill(Deno.pid, "SIGQUIT");
    Deno.kill(Deno.pid, "SIGTERM");
    await waitForSignalDelivery();

    assertEquals(received, ["SIGTERM"]);
  } finally {
    relay.close();
  }
});

Deno.test("FORWARDED_SIGNALS leaves out SIGUSR1", () => {
  // Deno starts its inspector on SIGUSR1; the runtime ignores it instead.
  assertEquals(FORWARDED_SIGNALS.includes("SIGUSR1"), false);
});
