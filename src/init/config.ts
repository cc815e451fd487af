/** The configuration the runtime hands to the init stage. */

/** Environment variable that names the FIFO carrying the JSON `InitConfig`. */
export const INIT_CHANNEL_ENV = "TSC_INIT_CHANNEL";

/** Environment variable with the PID of the runtime that started the stage. */
export const RUNTIME_PID_ENV = "TSC_RUNTIME_PID";

/** Overlay directories that give the container a private, writable root. */
export interface OverlayDirs {
  upper: string;
  work: string;
  /** Mount point of the merged tree, which becomes the container's /. */
  merged: string;
}

export interface InitConfig {
  name: string;
  /** Absolute host path of the root filesystem (the overlay's lower dir). */
  rootfs: string;
  /** When absent, the rootfs itself is bind-mounted and written to. */
  overlay?: OverlayDirs;
  hostname: string;
  /** Network namespace to join, as created by `ip netns add`. */
  netnsPath: string;
  /** Host file bind-mounted over /etc/hosts, when there is one. */
  hostsFile?: string;
  /** Files the init stage writes "0" to, last before execve, to join its cgroups. */
  cgroupJoinFiles: string[];
  command: string[];
  /** The container's environment, as KEY=VALUE strings. */
  env: string[];
  /** Absolute working directory inside the container. */
  workdir: string;
  /** Host file where the init stage records a setup failure for the runtime. */
  errorFile: string;
  /** FIFO the init stage holds open until execve closes it. */
  execFifo: string;
}

/** A setup failure, as the init stage records it in `errorFile`. */
export interface InitFailure {
  message: string;
  hint?: string;
  exitCode: number;
}
