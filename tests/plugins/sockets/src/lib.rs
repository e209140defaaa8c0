//! A section that opens sockets when it renders (through the standard
//! library, which imports `wasi:sockets`): the host must refuse to install it.

use portico_plugin_sdk::prelude::*;

struct Sockets;

impl Section for Sockets {
    fn describe() -> Descriptor {
        Descriptor::new("sockets", "Sockets", "0.1.0").card(CardSpec::dashboard("net", "Net").everyone())
    }

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        let mut held = Vec::new();
        for _ in 0..100_000 {
            match std::net::TcpStream::connect("127.0.0.1:9") {
                Ok(stream) => held.push(stream),
                Err(_) => match std::net::UdpSocket::bind("0.0.0.0:0") {
                    Ok(socket) => held.push_udp(socket),
                    Err(error) => return Err(error.to_string()),
                },
            }
        }
        Ok(vec![Card::new("net").text(format!("held {}", held.len()))])
    }
}

/// Keeps what it opened so nothing is closed before the call ends.
trait Hold {
    fn push_udp(&mut self, socket: std::net::UdpSocket);
}

impl Hold for Vec<std::net::TcpStream> {
    fn push_udp(&mut self, socket: std::net::UdpSocket) {
        std::mem::forget(socket);
    }
}

export_section!(Sockets);
