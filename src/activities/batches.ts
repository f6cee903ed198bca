/** The batch activities of the reassign, verify and cleanup phases. */
export { reassignBatch } from './reassign';
export { verifyBatch } from './verify';
export { cleanupBatch } from './cleanup';
