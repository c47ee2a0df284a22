import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import { carriesMarker, type DynoRun } from '../common/commands';
import type { PollingSettings } from './backups';
import { DEFAULT_POLLING, nextPollInterval, pollThroughBlips } from './backups';
import type { PlatformApi } from './heroku/platform-api';

interface StartedMarker {
  name: string;
}

const EXIT_LINE = /heroku\[([\w.]+)\]: Process exited with status (\d+)/;
const START_LINE = /heroku\[([\w.]+)\]: Starting process with command/;

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
     * Watches a dyno until it exits or `watchMs` passes, heartbeating. Once it is gone, reads its exit status and last
     * lines from its logs.
     */
    async watchOneOffDyno({ app, name, command }: { app: string; name: string; command: string }): Promise<DynoRun> {
      const deadline = Date.now() + polling.watchMs;
      let interval = polling.initialMs;
      for (;;) {
        const dyno = await pollThroughBlips(() => heroku.findDyno(app, name), deadline, interval);
        if (!dyno) {
          const lines = await pollThroughBlips(() => heroku.recentLogs(app, { dyno: name }), deadline, interval);
          const exit = lines.map((line) => EXIT_LINE.exec(line)).find((match) => match?.[1] === name);
          return {
            name,
            command,
            state: 'exited',
            exitStatus: exit ? Number(exit[2]) : null,
            lastLines: lines.slice(-10),
          };
        }
        heartbeat(dyno.state);
        if (Date.now() + interval > deadline)
          return { name, command, state: dyno.state ?? 'unknown', exitStatus: null, lastLines: [] };
        await sleep(interval);
        interval = nextPollInterval(interval, polling, heroku.rateLimitRemaining);
      }
    },

    /** Stops a dyno (on timeout or cancellation); one already gone is fine. */
    async stopOneOffDyno({ app, name }: { app: string; name: string }): Promise<{ stopped: boolean }> {
      if (!(await heroku.findDyno(app, name))) return { stopped: false };
      await heroku.stopDyno(app, name);
      return { stopped: true };
    },
  };
}
