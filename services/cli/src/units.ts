import { loadReferenceData, type ReferenceData } from '@dvc/config';
import { closestUnitId, type UnitDirectory } from '@dvc/domain';
import { cliConfig } from './config.js';
import type { CliIo } from './io.js';

/**
 * The reference data of DATA_DIR for a command's unit warnings, with where it came from
 * (`<dir>/units.json, version V`); or the warning that it could not be read. Commands warn, not
 * refuse: pilot mode (ACCEPT_UNKNOWN_UNITS) admits units the directory does not list.
 */
export function referenceForWarnings(io: CliIo): { ok: true; reference: ReferenceData; where: string } | { ok: false; warning: string } {
  let dataDir = '';
  try {
    dataDir = cliConfig(io.env).DATA_DIR;
    const reference = loadReferenceData(dataDir);
    return { ok: true, reference, where: `${dataDir}/units.json, version ${reference.units.version}` };
  } catch (error) {
    return {
      ok: false,
      warning: `warning: the units were not checked against the unit directory${dataDir === '' ? '' : ` (${dataDir})`}: ${(error as Error).message}\n`,
    };
  }
}

/** An unlisted unit as warnings name it, with the listed unit it was likely meant to be: `dn.dongxaoi (did you mean dn.dongxoai?)`. */
export function unlistedUnitText(directory: Pick<UnitDirectory, 'ids'>, unit: string): string {
  const closest = closestUnitId(directory, unit);
  return closest === undefined ? unit : `${unit} (did you mean ${closest}?)`;
}
