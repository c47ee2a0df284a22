import { Client, Connection } from '@temporalio/client';
import type { TemporalSettings } from '../lib/temporal-settings';

export async function connectClient(settings: TemporalSettings): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: settings.address, connectTimeout: '5 seconds' });
    return new Client({ connection, namespace: settings.namespace });
  } catch (err) {
    throw new Error(
      `Cannot reach Temporal at ${settings.address} (${(err as Error).message}). ` +
        'Start it with `npm run temporal start` (or set TEMPORAL_ADDRESS to your cluster).',
    );
  }
}
