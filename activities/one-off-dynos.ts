import { activityInfo, cancellationSignal, cancelled, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { carriesMarker, type DynoRun } from '../common/commands';
import { followLogStream, type PlatformApi } from './heroku/platform-api';
import { DEFAULT_POLLING, heartbeatEveryMs, nextPollInterval, pollThroughBlips, type PollingSettings } from './polling';

interface StartedMarker {
  name: string;
}

const EXIT_LINE = /heroku\[([\w.]+)\]: Process exited with status (\d+)/;
const START_LINE = /heroku\[([\w.]+)\]: Starting process with command/;
const STATE_LINE = /heroku\[([\w.]+)\]: State changed from \w+ to (\w+)/;
/** What a log stream of a dyno starts with: its last lines, the exit line among them if it exited already. */
const BACKLOG_LINES = 100;
/** The last lines a finished command reports. */
const LAST_LINES = 10;

/** How following a dyno's log stream for one watch window ended. */
type Followed =
  | { ended: 'exit'; exitStatus: number; lastLines: string[] }
  | { ended: 'window'; state: string }
  /** The stream ended or broke before the window did, or could not be opened. */
  | { ended: 'early'; state: string };

/**
 * One-off commands in DETACHED dynos: an attached run dies with its client connection, so a worker crash would
 * kill the index rebuild. The exit status comes from the platform's log line, the only place Heroku reports it.
 */
export function oneOffDynoActivities(heroku: PlatformApi, polling: PollingSettings = DEFAULT_POLLING) {
  /** The dyno a command carrying `marker` ran in, found in the app's recent logs (it may have exited already). */
  async function findByMarker(app: string, marker: string): Promise<string | undefined> {
    const running = (await heroku.listDynos(app)).find((dyno) => dyno.command && carriesMarker(dyno.command, marker));
    if (running?.name) return running.name;
    // The dyno's own line, `heroku[run.1234]: Starting process with command …` (not the `app[api]` one, which names no dyno).
    const started = (await heroku.recentLogs(app))
      .filter((line) => carriesMarker(line, marker))
      .map((line) => START_LINE.exec(line))
      .find(Boolean);
    return started?.[1];
  }

  /**
   * Follows the dyno's log stream until its exit line comes, the window ends, or the stream does. Heartbeats while
   * it waits (a cancellation arrives with a heartbeat's answer) and aborts the stream on cancellation.
   */
  async function followDynoLog(app: string, name: string, windowEnd: number): Promise<Followed> {
    let state = 'starting';
    const recent: string[] = [];
    const stop = new AbortController();
    const cancellation = cancellationSignal();
    const onCancel = () => stop.abort();
    if (cancellation.aborted) stop.abort();
    cancellation.addEventListener('abort', onCancel);
    const windowOver = setTimeout(() => stop.abort(), Math.max(0, windowEnd - Date.now()));
    const beat = setInterval(() => heartbeat(state), heartbeatEveryMs());
    try {
      const url = await pollThroughBlips(
        () => heroku.openLogSession(app, { dyno: name, lines: BACKLOG_LINES, tail: true }),
        windowEnd,
        polling.initialMs,
      );
      for await (const lines of followLogStream(url, { app, signal: stop.signal })) {
        let exitStatus: number | undefined;
        for (const line of lines) {
          recent.push(line);
          if (recent.length > LAST_LINES) recent.shift();
          const exit = EXIT_LINE.exec(line);
          if (exit?.[1] === name) exitStatus = Number(exit[2]);
          const changed = STATE_LINE.exec(line);
          if (changed?.[1] === name) state = changed[2];
        }
        // After the whole piece: the lines logplex sent with the exit line (`State changed … to complete`) count too.
        if (exitStatus !== undefined) return { ended: 'exit', exitStatus, lastLines: [...recent] };
      }
      return { ended: stop.signal.aborted ? 'window' : 'early', state };
    } catch (err) {
      if (cancellation.aborted) await cancelled();
      if (stop.signal.aborted) return { ended: 'window', state };
      // A refusal (the app is gone, the token revoked) fails the attempt; a stream that broke is polled past.
      if (err instanceof ApplicationFailure && err.nonRetryable) throw err;
      return { ended: 'early', state };
    } finally {
      clearTimeout(windowOver);
      clearInterval(beat);
      cancellation.removeEventListener('abort', onCancel);
    }
  }

  /** The dyno is gone: its exit status and last lines, from its log. */
  async function exitFromLogs(app: string, name: string, command: string, deadline: number): Promise<DynoRun> {
    const lines = await pollThroughBlips(() => heroku.recentLogs(app, { dyno: name }), deadline, polling.initialMs);
    const exit = lines.map((line) => EXIT_LINE.exec(line)).find((match) => match?.[1] === name);
    return {
      name,
      command,
      state: 'exited',
      exitStatus: exit ? Number(exit[2]) : null,
      lastLines: lines.slice(-LAST_LINES),
    };
  }

  /** Without a log stream: reads the dyno until it is gone or the window ends, at growing intervals. */
  async function pollDyno(app: string, name: string, command: string, deadline: number): Promise<DynoRun> {
    let interval = polling.initialMs;
    for (;;) {
      const dyno = await pollThroughBlips(() => heroku.findDyno(app, name), deadline, interval);
      if (!dyno) return exitFromLogs(app, name, command, deadline);
      heartbeat(dyno.state);
      if (Date.now() + interval > deadline)
        return { name, command, state: dyno.state ?? 'unknown', exitStatus: null, lastLines: [] };
      await sleep(interval); // cancellation-aware
      interval = nextPollInterval(interval, polling, heroku.rateLimitRemaining);
    }
  }

  return {
    /**
     * Starts `command` in a detached one-off dyno, at most once per step: the command carries the step's marker,
     * and a retry adopts the dyno an earlier attempt started (by the name it heartbeated, else by the marker).
     */
    async startOneOffDyno({
      app,
      command,
      marker,
      timeToLiveSeconds,
    }: {
      app: string;
      command: string;
      marker: string;
      timeToLiveSeconds: number;
    }): Promise<{ name: string; adopted: boolean }> {
      const previous = activityInfo().heartbeatDetails as StartedMarker | undefined;
      if (previous?.name) return { name: previous.name, adopted: true };
      if (activityInfo().attempt > 1) {
        const name = await findByMarker(app, marker);
        if (name) return { name, adopted: true };
      }
      const dyno = await heroku.createDyno(app, {
        command: `${command} ${marker}`,
        attach: false,
        time_to_live: timeToLiveSeconds,
      });
      heartbeat({ name: dyno.name! } satisfies StartedMarker);
      return { name: dyno.name!, adopted: false };
    },

    /**
     * Watches a dyno until it exits or the watch window (`watchMs`) ends, heartbeating, and returns its exit status
     * and last lines from its log. Heroku reports the exit only in the log (`Process exited with status N`), so the
     * watch follows the dyno's log stream: one log session per window instead of a read every few seconds, and the
     * exit seen the moment logplex sends it. The stream starts with the dyno's last lines: a dyno that exited before
     * it opened is seen at once. A window the stream saw to its end closes with one read of the dyno, for what
     * the log may have lost (logplex drops lines under load); a stream that ends early or breaks gives way to
     * polling for the rest of the window. Cancelling the activity aborts the stream.
     */
    async watchOneOffDyno({ app, name, command }: { app: string; name: string; command: string }): Promise<DynoRun> {
      const windowEnd = Date.now() + polling.watchMs;
      const followed = await followDynoLog(app, name, windowEnd);
      if (followed.ended === 'exit') {
        return { name, command, state: 'exited', exitStatus: followed.exitStatus, lastLines: followed.lastLines };
      }
      if (followed.ended === 'early') return pollDyno(app, name, command, windowEnd);
      const dyno = await pollThroughBlips(
        () => heroku.findDyno(app, name),
        windowEnd + polling.maxMs,
        polling.initialMs,
      );
      if (!dyno) return exitFromLogs(app, name, command, windowEnd + polling.maxMs);
      heartbeat(dyno.state);
      return { name, command, state: dyno.state ?? followed.state, exitStatus: null, lastLines: [] };
    },

    /** Stops a dyno (on timeout or cancellation); one already gone is fine. */
    async stopOneOffDyno({ app, name }: { app: string; name: string }): Promise<{ stopped: boolean }> {
      if (!(await heroku.findDyno(app, name))) return { stopped: false };
      await heroku.stopDyno(app, name);
      return { stopped: true };
    },
  };
}
