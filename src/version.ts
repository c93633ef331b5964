import pkg from '../package.json';

export const SERVICE_NAME = 'consentry';
export const SERVICE_VERSION: string = pkg.version;
