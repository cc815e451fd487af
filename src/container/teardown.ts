/**
 * Undo actions registered as setup steps succeed, run in reverse order, so a
 * failure at step N undoes steps N-1 to 1 and a normal exit undoes them all.
 */
import { errorMessage } from "../errors.ts";
import { Logger, stepAsync } from "../log.ts";

interface UndoAction {
  name: string;
  run: () => void | Promise<void>;
}

export class Teardown {
  private readonly actions: UndoAction[] = [];

  constructor(private readonly log: Logger) {}

  /** Registers an undo action; the last one registered runs first. */
  add(name: string, run: () => void | Promise<void>): void {
    this.actions.push({ name, run });
  }

  /**
   * Runs every action once, newest first. A failing action is logged and the
   * rest still run. Returns the number of failed actions.
   */
  async run(): Promise<number> {
    let failures = 0;
    while (this.actions.length > 0) {
      const action = this.actions.pop()!;
      try {
        await stepAsync(this.log, action.name, {}, async () => {
          await action.run();
        });
      } catch (error) {
        failures++;
        this.log.error(`teardown step failed: ${errorMessage(error)}`);
      }
    }
    return failures;
  }
}
