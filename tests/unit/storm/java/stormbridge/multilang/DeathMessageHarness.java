package stormbridge.multilang;

import java.io.IOException;

/** Prints ShellComponents.deathMessage for one case named on the command line (the class sits
 *  in the package of ShellComponents to reach its package-private methods). */
public final class DeathMessageHarness {
    private DeathMessageHarness() {
    }

    public static void main(String[] args) {
        IOException eof = new IOException("Pipe to subprocess seems to be broken!");
        String traceback = "ZeroDivisionError: boom\nTraceback (most recent call last):\n  x";
        String out;
        switch (args[0]) {
            case "sigkill":
                out = ShellComponents.deathMessage("count", 3, 4242, 137, eof, "");
                break;
            case "exit":
                out = ShellComponents.deathMessage("count", 3, 4242, 1, eof, traceback);
                break;
            case "heartbeat":
                out = ShellComponents.deathMessage(
                    "count", 3, 4242, -1, new ShellComponents.NoHeartbeat(31500, 30000), "");
                break;
            case "running":
                out = ShellComponents.deathMessage(
                    "count", 3, 4242, -1, new RuntimeException("Acked a non-existent id: 7"), "");
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
        System.out.print(out);
    }
}
