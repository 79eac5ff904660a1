import type { SqliteSession } from './session.js';

export async function headPosition(session: SqliteSession): Promise<number> {
  session.assertOpen();
  return session.statements.head.get()?.position ?? 0;
}
