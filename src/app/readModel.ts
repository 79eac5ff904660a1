/** The read model lives in ./readModel/: one projection per stream type and a core. Kept so importers need not change. */
export * from './readModel/index.js';
