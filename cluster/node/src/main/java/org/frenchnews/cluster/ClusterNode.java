package org.frenchnews.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node in this JVM: the server's own classes, with the HTTP and
 * transport layer (Netty4) and the common analysis plugin (elision, snowball,
 * asciifolding) loaded from the classpath, as a distribution loads them from
 * its plugins folder.
 *
 * <p>Arguments are settings as {@code key=value} (path.home, path.data,
 * http.port, transport.port, node.name, cluster.name, discovery…). The node
 * runs until the JVM gets SIGTERM or SIGINT, then closes cleanly.
 */
public final class ClusterNode extends Node {

    private ClusterNode(Settings settings) {
        super(
            InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), Path.of(settings.get("path.home"), "config"),
                () -> settings.get("node.name")),
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class),
            true);
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int at = arg.indexOf('=');
            if (at < 1) {
                throw new IllegalArgumentException("expected key=value, got " + arg);
            }
            builder.put(arg.substring(0, at), arg.substring(at + 1));
        }
        ClusterNode node = new ClusterNode(builder.build());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception error) {
                System.err.println("closing the node: " + error);
            } finally {
                stopped.countDown();
            }
        }));
        node.start();
        System.out.println("started " + builder.get("node.name"));
        System.out.flush();
        stopped.await();
    }
}
