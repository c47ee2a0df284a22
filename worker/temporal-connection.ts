import { NativeConnection } from '@temporalio/worker';
import {
  describeTemporalConnection,
  nativeConnectionOptions,
  type TemporalConnectionSettings,
} from '../lib/temporal-connection';
import { explainTemporalConnectionFailure } from '../lib/temporal-connection-failure';

/** The worker's connection, with TLS and the API key from the environment; a failure says what to change. */
export async function connectWorkerToTemporal(settings: TemporalConnectionSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(nativeConnectionOptions(settings));
  } catch (err) {
    throw new Error(
      `Cannot reach Temporal at ${describeTemporalConnection(settings)}: ${(err as Error).message}. ` +
        `${await explainTemporalConnectionFailure(settings, err)} The worker did not start.`,
    );
  }
}
