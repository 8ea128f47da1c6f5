package dev.parley.chat;

/** Why a chat turn broke off; the HTTP layer turns each into its status and problem type. */
public enum TurnFailure {
    /** The upstream (or the demo model) failed before or while replying. */
    UPSTREAM,
    /** No upstream for the model had a connection to spare in time. */
    OVERLOADED,
    /** The reply was produced but could not be stored. */
    STORAGE,
    /** A shutdown cut the reply short. */
    SHUTTING_DOWN
}
