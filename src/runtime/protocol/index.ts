export * from './message';
export * from './pyrepr';
export * from './iso-time';
export * from './serializer';
export * from './task-message';
export * from './decode-task';
export * from './result-meta';
export * from './kombu-envelope';
