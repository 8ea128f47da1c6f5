/**
 * Usage: what each turn may spend (the limits of its tenant and key, and the tenant's plan budget), the reservation
 * a turn holds while it runs, and reports over the usage rollups. The counting itself is part of the turn's writes
 * ({@link dev.parley.store.TurnStore}); nothing here scans messages.
 */
package dev.parley.usage;
