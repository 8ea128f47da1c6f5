/** Command-line entry point: validates the environment before Quarkus starts, so mistakes are one line. */
package dev.parley.cli;
