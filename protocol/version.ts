/** The package version all three programs print for `--version` (a test keeps it equal to package.json's). */
export const PACKAGE_VERSION = '0.1.0';
