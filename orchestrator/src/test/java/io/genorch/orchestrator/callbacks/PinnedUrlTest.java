package io.genorch.orchestrator.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** A callback goes to the address that was checked, and the rest of the client's URL is kept byte for byte. */
class PinnedUrlTest {

  @Test
  void percentEncodingPortAndQuerySurvive() throws Exception {
    URI uri = URI.create("https://hooks.example.com:8443/hooks/a%2Fb?token=abc%2Bdef%26x%3D1");
    assertEquals("https://203.0.113.7:8443/hooks/a%2Fb?token=abc%2Bdef%26x%3D1",
        ClientCallbackVerticle.pinnedUrl(uri, InetAddress.getByName("203.0.113.7")));
  }

  @Test
  void ipv6IsBracketedAndDefaultPortsStayImplicit() throws Exception {
    URI uri = URI.create("http://hooks.example.com/cb");
    assertEquals("http://[2001:db8:0:0:0:0:0:1]/cb", ClientCallbackVerticle.pinnedUrl(uri, InetAddress.getByName("2001:db8::1")));
  }
}
