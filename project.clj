;; Optional: stormbridge builds the topology jar itself (no Leiningen needed).
;; Keep this file only if your topology needs extra JVM jars (a Kafka spout,
;; a custom serializer, ...): `sparse jar` adds every jar that
;; `lein with-profile +uberjar deps` would resolve for :dependencies below to
;; the topology jar. See docs/jar.md.
(defproject wordcount "0.0.1-SNAPSHOT"
  :resource-paths ["_resources"]
  :target-path "_build"
  :min-lein-version "2.0.0"
  :jvm-opts ["-client"]
  :dependencies [[org.apache.storm/storm-core "2.8.8" :scope "provided"]]
  :jar-exclusions [#"log4j\.properties" #"org\.apache\.storm\.(?!flux)" #"trident" #"META-INF" #"meta-inf" #"\.yaml"]
  :uberjar-exclusions [#"log4j\.properties" #"org\.apache\.storm\.(?!flux)" #"trident" #"META-INF" #"meta-inf" #"\.yaml"]
  )
