import { Client, Connection } from '@temporalio/client';
import {
  clientConnectionOptions,
  describeTemporalConnection,
  type TemporalConnectionSettings,
} from '../lib/temporal-connection';
import { explainTemporalConnectionFailure } from '../lib/temporal-connection-failure';

export async function connectClient(settings: TemporalConnectionSettings): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...clientConnectionOptions(settings), connectTimeout: '5 seconds' });
  } catch (err) {
    throw new Error(
      `Cannot reach Temporal at ${describeTemporalConnection(settings)}: ${(err as Error).message}. ` +
        (await explainTemporalConnectionFailure(settings, err)),
    );
  }
  return new Client({ connection, namespace: settings.namespace });
}
