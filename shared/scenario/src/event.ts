/** One event of a scenario: a CloudEvent as the portal sends it (data carries unitId last). */
export interface ScenarioEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  unitid: string;
  data: Record<string, unknown> & { unitId: string };
}
