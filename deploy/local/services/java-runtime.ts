import { join } from 'node:path';
import { findOnPath, isExecutable } from '../system/run-command.js';

/** The `java` executable: $JAVA_HOME/bin/java if set, else the one on PATH. */
export async function resolveJava(): Promise<string> {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome !== undefined && javaHome !== '') {
    const fromHome = join(javaHome, 'bin', 'java');
    if (await isExecutable(fromHome)) return fromHome;
  }
  const fromPath = await findOnPath('java');
  if (fromPath === undefined) {
    throw new Error('No `java` found ($JAVA_HOME/bin or PATH); the Kafka broker needs Java 17 or newer (apt-get install -y openjdk-17-jre-headless).');
  }
  return fromPath;
}
