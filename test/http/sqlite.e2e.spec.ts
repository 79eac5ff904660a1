import { describe } from 'vitest';
import { sqliteBackend } from '../support/server.js';
import { describeHttpApi } from './httpApiSuite.js';

describe('HTTP API on the embedded SQLite store', () => {
  describeHttpApi(async () => sqliteBackend());
});
