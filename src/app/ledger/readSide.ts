import type { IsoDate } from '../../domain/dates.js';
import type { LedgerReadModel } from '../readModel/index.js';

/** What a report reads: the read model, and the date "today" is (Europe/Stockholm). */
export interface ReadSide {
  readonly readModel: LedgerReadModel;
  today(): IsoDate;
}
