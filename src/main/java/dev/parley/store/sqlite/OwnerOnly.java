package dev.parley.store.sqlite;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The database holds API key hashes and every conversation, so its files are readable by their owner only: the data
 * directory is created 0700; the database, and with it its WAL and shared-memory files (SQLite gives those the
 * database file's permissions), the lock file and every backup 0600. On file systems without POSIX permissions this
 * does nothing.
 */
final class OwnerOnly {

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private OwnerOnly() {
    }

    /** Creates the directory (and missing parents) 0700; an existing directory is left as it is. */
    static void directory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.getParent() != null) {
            Files.createDirectories(dir.getParent());
        }
        try {
            if (POSIX) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
            } else {
                Files.createDirectory(dir);
            }
        } catch (FileAlreadyExistsException e) {
            // created meanwhile by another process
        }
    }

    /** Creates an empty file 0600 unless it exists, so whatever writes it next writes into an owner-only file. */
    static void file(Path file) throws IOException {
        try {
            if (POSIX) {
                Files.createFile(file, attribute());
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException e) {
            // keep it
        }
    }

    /** Sets 0600 on an existing file (one copied or moved into place). */
    static void restrict(Path file) throws IOException {
        if (POSIX && Files.exists(file)) {
            Files.setPosixFilePermissions(file, FILE);
        }
    }

    static FileAttribute<Set<PosixFilePermission>> attribute() {
        return PosixFilePermissions.asFileAttribute(FILE);
    }

    static boolean posix() {
        return POSIX;
    }
}
