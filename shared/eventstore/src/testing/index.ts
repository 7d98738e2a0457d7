export { contractEvent, describeEventStoreContract, type ContractEventSpec, type ContractTarget } from './contract.js';
export { EsdbImitation } from './esdb-imitation.js';
export { describeEsdbSpecifics, type EsdbTarget } from './esdb-specifics.js';
